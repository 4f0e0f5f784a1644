// What the OpenAI images API allows per model, from the `openai` SDK 6.49.0 type comments
// (resources/images.d.ts, ImageGenerateParamsBase / ImageEditParamsBase, read 2026-12-05):
// - sizes: GPT image models 1024x1024, 1536x1024, 1024x1536; gpt-image-2 any WIDTHxHEIGHT with both
//   sides divisible by 16, aspect between 1:3 and 3:1, at most 3840x2160; dall-e-3 1024x1024,
//   1792x1024, 1024x1792; dall-e-2 256x256, 512x512, 1024x1024.
// - `response_format` ('url' | 'b64_json') exists for dall-e-2 and dall-e-3 only, and their default
//   is 'url'; the GPT image models always answer b64_json and do not take the parameter.
// - edits: "One of `dall-e-2` or a GPT image model": dall-e-3 has no edits endpoint. dall-e-2 edits
//   take one square PNG and repaint only its transparent areas (or a mask's), so they cannot carry a
//   keyframe on from the previous one the way a GPT image model's edit does: ttv uses no DALL·E edit.
import { nearestSize, type FrameSize } from '../../media/frame-geometry.js';

export interface OpenAiImageModel {
  /** Sizes it renders; null = any WIDTHxHEIGHT within `freeSize`. */
  sizes: FrameSize[] | null;
  /** dall-e: the image comes back as a URL unless response_format b64_json is asked for. */
  responseFormat: boolean;
  /** Whether ttv can continue a keyframe from the previous one with this model (an edit). */
  imageToImage: boolean;
  maxPromptLength: number;
}

const GPT_SIZES: FrameSize[] = [
  { width: 1024, height: 1024 },
  { width: 1536, height: 1024 },
  { width: 1024, height: 1536 },
];

/** gpt-image-2's free sizes: sides divisible by 16, aspect within 1:3..3:1, at most 3840x2160. */
const FREE_SIZE = { multiple: 16, minAspect: 1 / 3, maxAspect: 3, maxLong: 3840, maxShort: 2160, longSide: 1536 };

export function openAiImageModel(model: string): OpenAiImageModel {
  const id = model.trim().toLowerCase();
  if (id === 'dall-e-3')
    return {
      sizes: [
        { width: 1024, height: 1024 },
        { width: 1792, height: 1024 },
        { width: 1024, height: 1792 },
      ],
      responseFormat: true,
      imageToImage: false,
      maxPromptLength: 4000,
    };
  if (id === 'dall-e-2')
    return {
      sizes: [256, 512, 1024].map((s) => ({ width: s, height: s })),
      responseFormat: true,
      imageToImage: false,
      maxPromptLength: 1000,
    };
  if (id.startsWith('gpt-image-2'))
    return { sizes: null, responseFormat: false, imageToImage: true, maxPromptLength: 32000 };
  // gpt-image-1, -1-mini, -1.5, chatgpt-image-latest, and GPT image models to come: the standard sizes.
  return { sizes: GPT_SIZES, responseFormat: false, imageToImage: true, maxPromptLength: 32000 };
}

/** The size the model allows that is nearest the frame's shape (the frame size itself where the model takes any). */
export function openAiImageSize(model: OpenAiImageModel, frame: FrameSize): FrameSize {
  if (model.sizes) return nearestSize(frame.width / frame.height, model.sizes);
  const f = FREE_SIZE;
  const aspect = Math.min(f.maxAspect, Math.max(f.minAspect, frame.width / frame.height));
  const round = (n: number) => Math.max(f.multiple, f.multiple * Math.round(n / f.multiple));
  // The long side at 1536 (the standard sizes' long side), the short one rounded to a multiple of 16.
  return aspect >= 1
    ? { width: f.longSide, height: Math.min(f.maxShort, round(f.longSide / aspect)) }
    : { width: Math.min(f.maxShort, round(f.longSide * aspect)), height: f.longSide };
}

/** Why `size` ("1024x1024") is not one the model renders, or null. */
export function openAiSizeProblem(model: OpenAiImageModel, size: FrameSize): string | null {
  if (model.sizes) {
    return model.sizes.some((s) => s.width === size.width && s.height === size.height)
      ? null
      : `is not a size this model renders (${model.sizes.map((s) => `${s.width}x${s.height}`).join(', ')})`;
  }
  const f = FREE_SIZE;
  const aspect = size.width / size.height;
  if (size.width % f.multiple || size.height % f.multiple) return `needs both sides divisible by ${f.multiple}`;
  if (aspect < f.minAspect || aspect > f.maxAspect) return 'needs an aspect between 1:3 and 3:1';
  if (Math.max(size.width, size.height) > f.maxLong || Math.min(size.width, size.height) > f.maxShort)
    return 'is larger than 3840x2160';
  return null;
}
