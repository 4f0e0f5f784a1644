// OpenAI images (gpt-image-1): generations for text-to-image, edits (multipart, the previous
// keyframe as `image`) for image-to-image; the image comes back as b64_json.
import { basename, extname } from 'node:path';
import { VendorError } from '../../errors/vendor-error.js';
import type { JsonInit } from '../../http/vendor-client/vendor-client.js';
import { ImageRefusedError } from '../image-refused-error.js';
import type { ImageRequest } from '../types.js';
import { bearer, readInputFrame, VendorImageProvider, writeImageReply, type VendorImageOptions } from '../vendor-image-provider.js';

export type OpenAiImageOptions = VendorImageOptions & { model: string; size: string; };

export class OpenAiImageGenerator extends VendorImageProvider<OpenAiImageOptions> {
  readonly id = 'openai';

  constructor(options: OpenAiImageOptions) {
    super('OpenAI images', options, bearer);
  }

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    let init: JsonInit;
    let path: string;
    if (request.inputImage) {
      const form = new FormData();
      form.set('model', this.options.model);
      form.set('prompt', request.prompt);
      form.set('n', '1');
      form.set('size', this.options.size);
      const frame = await readInputFrame(request.inputImage);
      form.set('image', new Blob([frame.bytes], { type: frame.mimeType }), frame.fileName(basename(request.inputImage, extname(request.inputImage))));
      path = '/images/edits';
      init = { method: 'POST', body: form };
    } else {
      path = '/images/generations';
      init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: this.options.model, prompt: request.prompt, n: 1, size: this.options.size }) };
    }
    let reply: { data?: { b64_json?: string }[] };
    try {
      reply = await this.client.json(path, init, { signal, log: this.options.log });
    } catch (err) {
      const code = (err as VendorError).body as { error?: { code?: string } } | null;
      if (err instanceof VendorError && err.status === 400 && /moderation|content_policy|safety/i.test(String(code?.error?.code ?? err.reason))) {
        throw new ImageRefusedError('OpenAI images', err.reason);
      }
      throw err;
    }
    const b64 = reply.data?.[0]?.b64_json;
    if (!b64) throw new VendorError('OpenAI images', 200, 'reply has no image', false);
    return writeImageReply(request.outputPath, b64);
  }
}
