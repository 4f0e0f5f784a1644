// A vendor's own failure text never reaches a client: errors carry it in their message (for the job
// log) and keep it out of their public message, and the sentence a client reads is ttv's.
import { describe, expect, it } from 'vitest';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { VendorError } from '../../../src/errors/vendor-error.js';
import { vendorFailureSentence } from '../../../src/errors/vendor-failure.js';
import { toClientError } from '../../../src/errors/client-error.js';
import { ImageRefusedError } from '../../../src/errors/image-refused-error.js';
import { FallbackVideoGenerator } from '../../../src/generators/fallback-video-generator.js';
import type { VideoGenerator } from '../../../src/generators/types.js';

const VENDOR_TEXT = 'Prompt flagged: contains weapon imagery (SAFETY.INPUT.TEXT)';

describe('vendor failure texts', () => {
  it('stay in the message and out of the public message', () => {
    const refused = new GenerationError('runway', 'refused', 'task t1 failed', false, { vendorText: VENDOR_TEXT });
    expect(refused.message).toBe(`runway: task t1 failed: ${VENDOR_TEXT}`);
    expect(toClientError(refused).message).toBe('runway: task t1 failed');
    const http = new VendorError('fal', 401, 'Invalid key for user alice@example.com', false, {
      detail: 'Invalid key for user alice@example.com',
    });
    expect(http.message).toContain('alice@example.com');
    expect(toClientError(http).message).toBe('fal: HTTP 401');
    // ttv's own reasons (a network error) stay public.
    expect(toClientError(new VendorError('fal', null, 'connection failed to 127.0.0.1:9', true)).message).toBe(
      'fal: network error (connection failed to 127.0.0.1:9)',
    );
    expect(toClientError(new ImageRefusedError('OpenAI images', 'moderation_blocked')).message).toBe(
      'OpenAI images refused the image prompt',
    );
  });

  it("become ttv's sentence, by kind", () => {
    const sentence = (err: unknown) => vendorFailureSentence(err, 'video', 'runway', 'segment 2');
    expect(sentence(new GenerationError('runway', 'refused', 't', false, { vendorText: VENDOR_TEXT }))).toBe(
      'The video vendor (runway) refused segment 2: content policy.',
    );
    expect(sentence(new GenerationError('runway', 'failed', 't', false, { vendorText: 'boom' }))).toBe(
      'The video vendor (runway) failed to render segment 2.',
    );
    expect(sentence(new GenerationError('runway', 'no-output', 't'))).toBe(
      'The video vendor (runway) returned no video for segment 2.',
    );
    expect(sentence(new VendorError('runway', 429, 'Too many', true, { error: 'Too many' }))).toBe(
      'The video vendor (runway) answered HTTP 429 for segment 2 (rate limited).',
    );
    expect(sentence(new VendorError('runway', 503, 'down', true, { error: 'down' }))).toBe(
      'The video vendor (runway) answered HTTP 503 for segment 2 (vendor-side error).',
    );
    // ttv's own words stand: no sentence.
    expect(
      sentence(new GenerationError('runway', 'timeout', 'task t did not finish before remote_api_settings.timeout')),
    ).toBeNull();
    expect(sentence(new VendorError('runway', null, 'connection failed to host', true))).toBeNull();
    expect(vendorFailureSentence(new ImageRefusedError('Gemini', 'SAFETY'), 'image', 'gemini', 'keyframe 3')).toBe(
      'The image vendor (gemini) refused keyframe 3: content policy.',
    );
  });

  it('reach the client of a fallback chain as sentences, and the job log in full', async () => {
    const failing = (id: string, err: Error): VideoGenerator => ({
      id,
      capabilities: () => ({
        minDurationSeconds: 1,
        maxDurationSeconds: 10,
        textToVideo: true,
        imageToVideo: true,
        firstLastFrame: false,
        maxPromptLength: 100,
      }),
      validate: () => [],
      estimateCost: () => 0,
      generate: async () => {
        throw err;
      },
    });
    const chain = new FallbackVideoGenerator([
      {
        id: 'runway',
        create: () =>
          failing(
            'runway',
            new GenerationError('runway', 'refused', 'task t1 failed', false, { vendorText: VENDOR_TEXT }),
          ),
      },
      {
        id: 'fal',
        create: () =>
          failing(
            'fal',
            new GenerationError('fal', 'timeout', 'request r1 did not finish before remote_api_settings.timeout'),
          ),
      },
    ]);
    const log: string[] = [];
    const err = await chain
      .generate(
        { prompt: 'p', durationSeconds: 5, segment: 2, outputPath: '/nowhere.mp4' },
        { signal: new AbortController().signal, log: (m) => log.push(m) },
      )
      .catch((e: Error) => e);
    expect(toClientError(err).message).toBe(
      'Segment 2 failed on every backend (runway → fal): The video vendor (runway) refused segment 2: content policy; fal: request r1 did not finish before remote_api_settings.timeout',
    );
    expect(log).toContain(`Segment 2: runway attempt failed: task t1 failed: ${VENDOR_TEXT}`);
    expect((err as Error).message).toContain(VENDOR_TEXT);
  });
});
