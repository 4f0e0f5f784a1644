// OpenAI images (gpt-image-1): generations for text-to-image, edits (multipart, the previous
// keyframe as `image`) for image-to-image; the image comes back as b64_json.
import { basename, extname } from 'node:path';
import { vendorFetch, VendorError } from '../../http/vendor-fetch.js';
import { ImageRefusedError } from '../image-refused-error.js';
import type { ImageGenerator, ImageRequest } from '../types.js';
import { readInputFrame, writeImageReply, type VendorImageOptions } from '../vendor-image-provider.js';
import { trimTrailingSlashes } from '../../http/base-url.js';

export interface OpenAiImageOptions extends VendorImageOptions {
  model: string;
  size: string;
}

export class OpenAiImageGenerator implements ImageGenerator {
  readonly id = 'openai';

  constructor(private readonly options: OpenAiImageOptions) {}

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    const base = trimTrailingSlashes(this.options.baseUrl);
    const auth = { authorization: `Bearer ${this.options.apiKey}` };
    let init: RequestInit;
    let url: string;
    if (request.inputImage) {
      const form = new FormData();
      form.set('model', this.options.model);
      form.set('prompt', request.prompt);
      form.set('n', '1');
      form.set('size', this.options.size);
      const frame = await readInputFrame(request.inputImage);
      form.set('image', new Blob([frame.bytes], { type: frame.mimeType }), frame.fileName(basename(request.inputImage, extname(request.inputImage))));
      url = `${base}/images/edits`;
      init = { method: 'POST', headers: auth, body: form };
    } else {
      url = `${base}/images/generations`;
      init = { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ model: this.options.model, prompt: request.prompt, n: 1, size: this.options.size }) };
    }
    let reply: { data?: { b64_json?: string }[] };
    try {
      reply = await vendorFetch(url, init, { vendor: 'OpenAI images', signal, maxRetries: this.options.maxRetries, baseDelayMs: this.options.retryBaseMs, log: this.options.log });
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
