// An image provider wrapper: when the provider refuses a prompt on safety grounds, the prompt is
// reworded once (by the OpenAI-compatible chat endpoint when a key is set, else a neutral framing)
// and tried a final time; a second refusal fails the stage with the provider's reason.
import { VendorClient } from '../http/vendor-client/vendor-client.js';
import { ImageRefusedError } from '../errors/image-refused-error.js';
import type { ImageGenerator, ImageRequest } from './types.js';

export interface RewordOptions {
  openai?: { apiKey: string; baseUrl: string; model: string };
  log?: (message: string) => void;
}

export class RewordingImageGenerator implements ImageGenerator {
  readonly id: string;

  constructor(
    private readonly inner: ImageGenerator,
    private readonly options: RewordOptions,
  ) {
    this.id = inner.id;
  }

  async generate(request: ImageRequest, options: { signal: AbortSignal }): Promise<string> {
    try {
      return await this.inner.generate(request, options);
    } catch (err) {
      if (!(err instanceof ImageRefusedError)) throw err;
      this.options.log?.(`${err.message}; rewording the prompt once`);
      const prompt = await this.reword(request.prompt, options.signal);
      return this.inner.generate({ ...request, prompt }, options);
    }
  }

  private async reword(prompt: string, signal: AbortSignal): Promise<string> {
    const neutral = `A calm, family-friendly, non-violent illustration: ${prompt}`;
    const openai = this.options.openai;
    if (!openai) return neutral;
    try {
      // One retry: a failed rewording falls back to the neutral framing.
      const client = new VendorClient({
        vendor: 'OpenAI reword',
        baseUrl: openai.baseUrl,
        auth: { authorization: `Bearer ${openai.apiKey}` },
        retry: { maxRetries: 1, retryBaseMs: 1000 },
      });
      const reply = await client.json<{ choices?: { message?: { content?: string } }[] }>(
        '/chat/completions',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: openai.model,
            messages: [
              {
                role: 'system',
                content:
                  'Rewrite image prompts so that they pass content moderation while keeping the scene, characters and composition. Reply with the rewritten prompt only.',
              },
              { role: 'user', content: prompt },
            ],
          }),
        },
        { signal },
      );
      return reply.choices?.[0]?.message?.content?.trim() || neutral;
    } catch {
      return neutral;
    }
  }
}
