// Fake Gemini API (generativelanguage.googleapis.com), every call with x-goog-api-key:
// - POST /v1beta/models/{model}:generateContent answering a text part and inline image parts (the
//   larger one is the real image); a video model there answers 400 "This model only supports
//   Interactions API." (the live answer TanStack/ai issue #871 records for Gemini Omni).
//   generationConfig.imageConfig.aspectRatio must be one of the ratios @google/genai 2.32.0's
//   ImageConfig lists (400 INVALID_ARGUMENT otherwise); the image has Google's 1K size for that
//   ratio (Gemini image generation docs' table: 9:16 is 768x1344, not exactly 9:16), 1024x1024 when
//   none is asked;
// - the Interactions API (interactions-api.ts): POST /v1beta/interactions, GET/DELETE
//   /v1beta/interactions/{id}, POST /v1beta/interactions/{id}/cancel, with the Gemini Omni models
//   this Google serves (gemini-api-models.ts);
// - GET /v1beta/files/{id}:download?alt=media for a video delivered as a URI.
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, pngOfSize, type RecordedRequest } from '../shared/fake-http-server.js';
import { InteractionsApi, type Answer } from './interactions-api.js';
import { geminiInteractionsModel } from './gemini-api-models.js';

const notFound = { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } };

export const GEMINI_1K_SIZES: Record<string, [number, number]> = {
  '1:1': [1024, 1024],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '3:4': [864, 1184],
  '4:3': [1184, 864],
  '9:16': [768, 1344],
  '16:9': [1344, 768],
  '21:9': [1536, 672],
};

export class FakeGeminiServer extends FakeHttpServer {
  readonly interactions = new InteractionsApi(geminiInteractionsModel, {
    apiVersion: 'v1beta',
    fileUri: (id) => `https://generativelanguage.googleapis.com/v1beta/files/${id}:download?alt=media`,
  });

  constructor(readonly apiKey: string) {
    super();
  }

  override reset(): void {
    super.reset();
    this.interactions.reset();
  }

  private answer(res: ServerResponse, a: Answer): void {
    this.send(res, a.status, a.body);
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers['x-goog-api-key'] !== this.apiKey) {
      return this.send(res, 400, {
        error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' },
      });
    }
    const path = new URL(req.path, 'http://fake').pathname;
    if (path === '/v1beta/interactions')
      return req.method === 'POST'
        ? this.answer(res, this.interactions.create(req.body))
        : this.send(res, 404, notFound);
    const one = /^\/v1beta\/interactions\/([\w-]+)(\/cancel)?$/.exec(path);
    if (one) {
      const [, id, cancel] = one;
      if (cancel)
        return req.method === 'POST' ? this.answer(res, this.interactions.cancel(id!)) : this.send(res, 404, notFound);
      if (req.method === 'GET') return this.answer(res, this.interactions.get(id!));
      if (req.method === 'DELETE') return this.answer(res, this.interactions.delete(id!));
      return this.send(res, 404, notFound);
    }
    const file = /^\/v1beta\/files\/([a-z0-9]+):download$/.exec(path);
    if (file && req.method === 'GET') {
      const bytes = this.interactions.file(file[1]!);
      return bytes
        ? this.serveClip(res, bytes)
        : this.send(res, 404, { error: { code: 404, message: 'File not found', status: 'NOT_FOUND' } });
    }
    const generate = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path);
    if (req.method !== 'POST' || !generate) return this.send(res, 404, notFound);
    if (geminiInteractionsModel(generate[1]!)) {
      return this.send(res, 400, {
        error: { code: 400, message: 'This model only supports Interactions API.', status: 'INVALID_ARGUMENT' },
      });
    }
    const body = JSON.parse(req.body.toString()) as { generationConfig?: { imageConfig?: { aspectRatio?: string } } };
    const aspect = body.generationConfig?.imageConfig?.aspectRatio;
    if (aspect !== undefined && !GEMINI_1K_SIZES[aspect]) {
      return this.send(res, 400, {
        error: {
          code: 400,
          message: `* GenerateContentRequest.generation_config.image_config.aspect_ratio: unsupported aspect ratio "${aspect}"`,
          status: 'INVALID_ARGUMENT',
        },
      });
    }
    const [width, height] = GEMINI_1K_SIZES[aspect ?? '1:1']!;
    const tiny = Buffer.from('tiny-thumbnail').toString('base64');
    this.send(res, 200, {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Here is the image.' },
              { inlineData: { mimeType: 'image/png', data: tiny } },
              { inlineData: { mimeType: 'image/png', data: pngOfSize(width, height).toString('base64') } },
            ],
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
    });
  }
}
