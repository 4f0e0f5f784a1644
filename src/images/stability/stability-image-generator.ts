// Stability AI v1 (SDXL 1.0): text-to-image as JSON at the engine size nearest the frame's shape
// (stability-image-sizes.ts), image-to-image as multipart with init_image, which SDXL also takes
// only at one of its sizes, so the previous keyframe is first scaled and cropped to that size with
// ffmpeg; the image comes back as artifacts[0].base64, and finishReason CONTENT_FILTERED is a refusal.
// Hand-written on purpose: Stability AI publishes no official Node SDK for its REST API.
import { rm } from 'node:fs/promises';
import { ImageRefusedError } from '../../errors/image-refused-error.js';
import type { Ffmpeg } from '../../media/ffmpeg.js';
import type { ImageRequest } from '../types.js';
import {
  bearer,
  readInputFrame,
  VendorImageProvider,
  writeImageReply,
  type VendorImageOptions,
} from '../vendor-image-provider.js';
import type { JsonInit } from '../../http/vendor-client/vendor-client.js';
import { stabilitySize } from './stability-image-sizes.js';

export type StabilityImageOptions = VendorImageOptions & { engine: string; ffmpeg: Ffmpeg };

export class StabilityImageGenerator extends VendorImageProvider<StabilityImageOptions> {
  readonly id = 'stability';

  constructor(options: StabilityImageOptions) {
    super('Stability', options, bearer);
  }

  async generate(request: ImageRequest, { signal }: { signal: AbortSignal }): Promise<string> {
    const root = `/v1/generation/${this.options.engine}`;
    const headers = { accept: 'application/json' };
    const size = stabilitySize(this.options.engine, request);
    let url: string;
    let init: JsonInit;
    const initImage = `${request.outputPath}.init_image.png`;
    try {
      if (request.inputImage) {
        const fitted = await this.options.ffmpeg.fitFrame(request.inputImage, initImage, { size }, { signal });
        const frame = await readInputFrame(fitted.fitted ? initImage : request.inputImage);
        const form = new FormData();
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
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({
            text_prompts: [{ text: request.prompt, weight: 1 }],
            cfg_scale: 7,
            height: size.height,
            width: size.width,
            samples: 1,
            steps: 30,
          }),
        };
      }
      const reply = await this.client.json<{ artifacts?: { base64?: string; finishReason?: string }[] }>(url, init, {
        signal,
        log: this.options.log,
      });
      const artifact = reply.artifacts?.[0];
      if (artifact?.finishReason === 'CONTENT_FILTERED') throw new ImageRefusedError('Stability', 'CONTENT_FILTERED');
      if (!artifact?.base64)
        throw new ImageRefusedError('Stability', `no image (${artifact?.finishReason ?? 'empty reply'})`);
      return await writeImageReply(request.outputPath, artifact.base64);
    } finally {
      await rm(initImage, { force: true });
    }
  }
}
