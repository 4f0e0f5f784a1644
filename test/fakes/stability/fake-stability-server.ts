// Fake Stability AI v1 generation API: text-to-image (JSON) and image-to-image (multipart with
// init_image), answering artifacts[].base64 with finishReason; bearer key checked. As strict as the
// v1 reference for SDXL (stable-diffusion-xl-1024-v1-0): text-to-image width x height, and an
// image-to-image init_image's size, must be one of the nine SDXL sizes (400 invalid_height_or_width
// otherwise); the image answered has that size.
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, pngOfSize, pngSize, type RecordedRequest } from '../shared/fake-http-server.js';
import { SDXL_SIZES } from '../../../src/images/stability/stability-image-sizes.js';

const SDXL_TEXT = SDXL_SIZES.map((s) => `${s.width}x${s.height}`).join(', ');

export class FakeStabilityServer extends FakeHttpServer {
  constructor(readonly apiKey: string) {
    super();
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`)
      return this.send(res, 401, { id: 'x', name: 'unauthorized', message: 'Missing or invalid API key' });
    const m = /^\/v1\/generation\/([^/]+)\/(text-to-image|image-to-image)$/.exec(req.path);
    if (req.method !== 'POST' || !m) return this.send(res, 404, { name: 'not_found', message: req.path });
    const sdxl = m[1] === 'stable-diffusion-xl-1024-v1-0';
    const allowed = (w: number, h: number) => !sdxl || SDXL_SIZES.some((s) => s.width === w && s.height === h);
    const badSize = (what: string, w: number, h: number) =>
      this.send(res, 400, {
        id: 'x',
        name: 'invalid_height_or_width',
        message: `${what} ${w}x${h}: for ${m[1]} the allowed dimensions are ${SDXL_TEXT}`,
      });
    let size: { width: number; height: number };
    if (m[2] === 'image-to-image') {
      if (!/multipart\/form-data/.test(String(req.headers['content-type'])))
        return this.send(res, 400, { name: 'bad_request', message: 'image-to-image takes multipart/form-data' });
      const form = await new Response(new Uint8Array(req.body), {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      const init = form.get('init_image');
      if (!(init instanceof Blob))
        return this.send(res, 400, { name: 'bad_request', message: 'init_image is required' });
      const bytes = Buffer.from(await init.arrayBuffer());
      // Only PNG sizes are read here; ttv sends PNG whenever it had to resize, other types pass as sent.
      const dims = pngSize(bytes);
      if (dims && !allowed(dims.width, dims.height)) return badSize('init_image', dims.width, dims.height);
      size = dims ?? { width: 1024, height: 1024 };
    } else {
      const body = JSON.parse(req.body.toString()) as { width?: number; height?: number };
      size = { width: body.width ?? 1024, height: body.height ?? 1024 };
      if (!allowed(size.width, size.height)) return badSize('text-to-image', size.width, size.height);
    }
    this.send(res, 200, {
      artifacts: [{ base64: pngOfSize(size.width, size.height).toString('base64'), seed: 1, finishReason: 'SUCCESS' }],
    });
  }
}
