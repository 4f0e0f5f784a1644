// Gemini image output through generateContent (REST, x-goog-api-key): the prompt text, plus the
// previous keyframe as inline data for image-to-image; the largest inline image part is the result.
// A prompt blocked by safety (promptFeedback.blockReason, finishReason SAFETY/IMAGE_SAFETY) is a refusal.
// The shape is asked for with generationConfig.imageConfig.aspectRatio, the listed ratio nearest the
// frame's (@google/genai 2.32.0 ImageConfig: "1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9";
// read 2026-12-05); Google's sizes for a ratio are near it, not exact (9:16 is 768x1344), so the
// pipeline crops the result.
import { aspectValue, nearestSize } from '../../media/frame-geometry.js';
import { ImageRefusedError } from '../../errors/image-refused-error.js';
import type { ImageRequest } from '../types.js';
import {
  readInputFrame,
  VendorImageProvider,
  writeImageReply,
  type VendorImageOptions,
} from '../vendor-image-provider.js';

export type GeminiImageOptions = VendorImageOptions & { model: string };

export const GEMINI_IMAGE_ASPECTS = ['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '21:9'] as const;

/** The aspect ratio Gemini offers that is nearest the frame's shape. */
export function geminiAspect(frame: { width: number; height: number }): string {
  const shapes = GEMINI_IMAGE_ASPECTS.map((aspect) => ({ aspect, width: aspectValue(aspect), height: 1 }));
  return nearestSize(frame.width / frame.height, shapes).aspect;
}

interface Part {
  text?: string;
  inlineData?: { mimeType: string; data: string };
  inline_data?: { mime_type: string; data: string };
}

export class GeminiImageGenerator extends VendorImageProvider<GeminiImageOptions> {
  readonly id = 'gemini';

  constructor(options: GeminiImageOptions) {
    super('Gemini', options, (key) => ({ 'x-goog-api-key': key }));
  }

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    const parts: Part[] = [];
    if (request.inputImage) {
      const frame = await readInputFrame(request.inputImage);
      parts.push(
        { inlineData: { mimeType: frame.mimeType, data: frame.bytes.toString('base64') } },
        { text: 'Base image for editing' },
      );
    }
    parts.push({ text: request.prompt });
    const reply = await this.client.json<{
      promptFeedback?: { blockReason?: string };
      candidates?: { finishReason?: string; content?: { parts?: Part[] } }[];
    }>(
      `/v1beta/models/${encodeURIComponent(this.options.model)}:generateContent`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          contents: [{ role: 'user', parts }],
          generationConfig: {
            temperature: 0.9,
            topP: 0.95,
            topK: 40,
            responseModalities: ['TEXT', 'IMAGE'],
            imageConfig: { aspectRatio: geminiAspect(request) },
          },
        }),
      },
      { signal, log: this.options.log },
    );
    if (reply.promptFeedback?.blockReason) throw new ImageRefusedError('Gemini', reply.promptFeedback.blockReason);
    const candidate = reply.candidates?.[0];
    if (candidate?.finishReason && /SAFETY|PROHIBITED|BLOCKLIST/.test(candidate.finishReason))
      throw new ImageRefusedError('Gemini', candidate.finishReason);
    const images = (candidate?.content?.parts ?? [])
      .map((p) => p.inlineData?.data ?? p.inline_data?.data)
      .filter((d): d is string => typeof d === 'string' && d.length > 0)
      .sort((a, b) => b.length - a.length);
    if (!images[0])
      throw new ImageRefusedError('Gemini', `no image in the reply (${candidate?.finishReason ?? 'empty'})`);
    return writeImageReply(request.outputPath, images[0]);
  }
}
