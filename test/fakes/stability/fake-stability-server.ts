// Fake Stability AI v1 generation API: text-to-image (JSON) and image-to-image (multipart with
// init_image), answering artifacts[].base64 with finishReason; bearer key checked.
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, samplePng, type RecordedRequest } from '../shared/fake-http-server.js';

export class FakeStabilityServer extends FakeHttpServer {
  constructor(readonly apiKey: string) {
    super();
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return this.send(res, 401, { id: 'x', name: 'unauthorized', message: 'Missing or invalid API key' });
    const m = /^\/v1\/generation\/([^/]+)\/(text-to-image|image-to-image)$/.exec(req.path);
    if (req.method !== 'POST' || !m) return this.send(res, 404, { name: 'not_found', message: req.path });
    if (m[2] === 'image-to-image' && !req.body.includes(Buffer.from('name="init_image"'))) {
      return this.send(res, 400, { name: 'bad_request', message: 'init_image is required' });
    }
    this.send(res, 200, { artifacts: [{ base64: samplePng().toString('base64'), seed: 1, finishReason: 'SUCCESS' }] });
  }
}
