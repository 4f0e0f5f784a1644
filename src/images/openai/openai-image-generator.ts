// OpenAI images: generations for text-to-image, edits (multipart, the previous keyframe as `image`)
// for image-to-image, at the size nearest the frame's shape that the model renders
// (openai-image-models.ts), or image_size when the operator pinned one. The image comes back as
// b64_json: the GPT image models always answer so, and the DALL·E models are asked for it
// (`response_format: "b64_json"`; their default is a URL). A DALL·E model cannot continue a keyframe
// from the previous one (openai-image-models.ts); config check and submission refuse that plan,
// and this provider refuses it again before any call.
import { basename, extname } from 'node:path';
import { PipelineError } from '../../errors/pipeline-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import type { JsonInit } from '../../http/vendor-client/vendor-client.js';
import { parseSize, sizeText } from '../../media/frame-geometry.js';
import { ImageRefusedError } from '../../errors/image-refused-error.js';
import type { ImageRequest } from '../types.js';
import {
  bearer,
  readInputFrame,
  VendorImageProvider,
  writeImageReply,
  type VendorImageOptions,
} from '../vendor-image-provider.js';
import { openAiImageModel, openAiImageSize, type OpenAiImageModel } from './openai-image-models.js';

/** `size`: image_size, a size pinned by the operator; absent = nearest the frame's shape. */
export type OpenAiImageOptions = VendorImageOptions & { model: string; size?: string };

export class OpenAiImageGenerator extends VendorImageProvider<OpenAiImageOptions> {
  readonly id = 'openai';
  private readonly rules: OpenAiImageModel;

  constructor(options: OpenAiImageOptions) {
    super('OpenAI images', options, bearer);
    this.rules = openAiImageModel(options.model);
  }

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    const size = sizeText(this.options.size ? parseSize(this.options.size) : openAiImageSize(this.rules, request));
    let init: JsonInit;
    let path: string;
    if (request.inputImage) {
      if (!this.rules.imageToImage) {
        throw new PipelineError(
          `image_generation_model ${this.options.model} cannot continue a keyframe from the previous one (OpenAI has no such edit for it): use gpt-image-1, or generation_mode chaining`,
        );
      }
      const form = new FormData();
      form.set('model', this.options.model);
      form.set('prompt', request.prompt);
      form.set('n', '1');
      form.set('size', size);
      const frame = await readInputFrame(request.inputImage);
      form.set(
        'image',
        new Blob([frame.bytes], { type: frame.mimeType }),
        frame.fileName(basename(request.inputImage, extname(request.inputImage))),
      );
      path = '/images/edits';
      init = { method: 'POST', body: form };
    } else {
      path = '/images/generations';
      const body = {
        model: this.options.model,
        prompt: request.prompt,
        n: 1,
        size,
        ...(this.rules.responseFormat ? { response_format: 'b64_json' } : {}),
      };
      init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }
    let reply: { data?: { b64_json?: string }[] };
    try {
      reply = await this.client.json(path, init, { signal, log: this.options.log });
    } catch (err) {
      const code = (err as VendorError).body as { error?: { code?: string } } | null;
      if (
        err instanceof VendorError &&
        err.status === 400 &&
        /moderation|content_policy|safety/i.test(String(code?.error?.code ?? err.reason))
      ) {
        throw new ImageRefusedError('OpenAI images', err.reason);
      }
      throw err;
    }
    const b64 = reply.data?.[0]?.b64_json;
    if (!b64) throw new VendorError('OpenAI images', 200, 'reply has no image', false);
    return writeImageReply(request.outputPath, b64);
  }
}
