// Fake Gemini API: POST /v1beta/models/{model}:generateContent with x-goog-api-key, answering a
// text part and inline image parts (the larger one is the real image).
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, samplePng, type RecordedRequest } from '../shared/fake-http-server.js';

export class FakeGeminiServer extends FakeHttpServer {
  constructor(readonly apiKey: string) {
    super();
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers['x-goog-api-key'] !== this.apiKey) {
      return this.send(res, 400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
    }
    if (req.method !== 'POST' || !/^\/v1beta\/models\/[^/:]+:generateContent$/.test(req.path)) return this.send(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    const tiny = Buffer.from('tiny-thumbnail').toString('base64');
    this.send(res, 200, {
      candidates: [{
        content: { role: 'model', parts: [{ text: 'Here is the image.' }, { inlineData: { mimeType: 'image/png', data: tiny } }, { inlineData: { mimeType: 'image/png', data: samplePng().toString('base64') } }] },
        finishReason: 'STOP',
      }],
      usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
    });
  }
}
