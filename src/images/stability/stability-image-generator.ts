// Stability AI v1 (SDXL 1.0): text-to-image as JSON, image-to-image as multipart with init_image;
// the image comes back as artifacts[0].base64, and finishReason CONTENT_FILTERED is a refusal.
// Hand-written on purpose: Stability AI publishes no official Node SDK for its REST API.
import { ImageRefusedError } from '../image-refused-error.js';
import type { ImageRequest } from '../types.js';
import { bearer, readInputFrame, VendorImageProvider, writeImageReply, type VendorImageOptions } from '../vendor-image-provider.js';
import type { JsonInit } from '../../http/vendor-client/vendor-client.js';

export type StabilityImageOptions = VendorImageOptions & { engine: string; };

export class StabilityImageGenerator extends VendorImageProvider<StabilityImageOptions> {
  readonly id = 'stability';

  constructor(options: StabilityImageOptions) {
    super('Stability', options, bearer);
  }

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    const root = `/v1/generation/${this.options.engine}`;
    const headers = { accept: 'application/json' };
    let url: string;
    let init: JsonInit;
    if (request.inputImage) {
      const form = new FormData();
      const frame = await readInputFrame(request.inputImage);
      form.set('init_image', new Blob([frame.bytes], { type: frame.mimeType }), frame.fileName('init_image'));
      form.set('text_prompts[0][text]', request.prompt);
      form.set('text_prompts[0][weight]', '1');
      form.set('image_strength', '0.35');
      form.set('cfg_scale', '7');
      form.set('samples', '1');
      form.set('steps', '30');
      url = `${root}/image-to-image`;
      init = { method: 'POST', headers, body: form };
    } else {
      url = `${root}/text-to-image`;
      init = {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ text_prompts: [{ text: request.prompt, weight: 1 }], cfg_scale: 7, height: 1024, width: 1024, samples: 1, steps: 30 }),
      };
    }
    const reply = await this.client.json<{ artifacts?: { base64?: string; finishReason?: string }[] }>(url, init, { signal, log: this.options.log });
    const artifact = reply.artifacts?.[0];
    if (artifact?.finishReason === 'CONTENT_FILTERED') throw new ImageRefusedError('Stability', 'CONTENT_FILTERED');
    if (!artifact?.base64) throw new ImageRefusedError('Stability', `no image (${artifact?.finishReason ?? 'empty reply'})`);
    return writeImageReply(request.outputPath, artifact.base64);
  }
}
