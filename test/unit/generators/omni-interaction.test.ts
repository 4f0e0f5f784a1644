// The Gemini Omni request body for each kind of clip, and what every end state of an interaction
// means for the segment (the statuses of @google/genai's InteractionStatus that the fakes do not
// all produce), and how the SDK's two error families reach ttv's retry policy.
import { describe, expect, it } from 'vitest';
import type { GoogleGenAIInteraction } from '@google/genai';
import { omniRequest, videoOf } from '../../../src/generators/veo3/omni-interaction.js';
import { classifyGoogleSdkError } from '../../../src/generators/veo3/google-genai-session.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { VendorError } from '../../../src/errors/vendor-error.js';

const interaction = (fields: Record<string, unknown>) =>
  ({ id: 'v1_abc', steps: [], ...fields }) as unknown as GoogleGenAIInteraction;

function failure(fields: Record<string, unknown>): GenerationError {
  try {
    videoOf(interaction(fields));
  } catch (err) {
    if (err instanceof GenerationError) return err;
    throw err;
  }
  throw new Error('videoOf gave a video');
}

describe('omniRequest', () => {
  it('text to video: the prompt as the input, the format and the task', () => {
    expect(
      omniRequest({ model: 'gemini-omni-1.1-flash', prompt: 'A kite.', durationSeconds: 6, aspectRatio: '9:16' }),
    ).toEqual({
      model: 'gemini-omni-1.1-flash',
      input: 'A kite.',
      background: true,
      response_format: { type: 'video', aspect_ratio: '9:16', duration: '6s' },
      generation_config: { video_config: { task: 'text_to_video' } },
    });
  });

  it('image to video with a resolution, and a Vertex gcs_uri asking for URI delivery', () => {
    const body = omniRequest({
      model: 'gemini-omni-1.2-flash',
      prompt: 'A kite.',
      durationSeconds: 12,
      aspectRatio: '16:9',
      resolution: '1080p',
      firstFrame: { data: 'iVBO', mimeType: 'image/png' },
      gcsUri: 'gs://b/ttv/1/',
    });
    expect(body).toMatchObject({
      input: [
        { type: 'text', text: 'A kite.' },
        { type: 'image', data: 'iVBO', mime_type: 'image/png' },
      ],
      response_format: {
        type: 'video',
        aspect_ratio: '16:9',
        duration: '12s',
        resolution: '1080p',
        delivery: 'uri',
        gcs_uri: 'gs://b/ttv/1/',
      },
      generation_config: { video_config: { task: 'image_to_video' } },
    });
  });
});

describe('videoOf', () => {
  it('gives the video of a completed interaction, inline or by URI', () => {
    expect(videoOf(interaction({ status: 'completed', output_video: { type: 'video', data: 'AAAA' } })).data).toBe(
      'AAAA',
    );
    expect(
      videoOf(interaction({ status: 'completed', output_video: { type: 'video', uri: 'gs://b/o.mp4' } })).uri,
    ).toBe('gs://b/o.mp4');
  });

  it('names why a finished interaction has no video', () => {
    expect(failure({ status: 'completed', output_text: 'I cannot make that.' })).toMatchObject({
      failure: 'refused',
      message: 'veo3: interaction v1_abc finished without a video; the model answered: I cannot make that.',
    });
    expect(failure({ status: 'completed' })).toMatchObject({ failure: 'no-output' });
    expect(failure({ status: 'failed', errors: [{ code: 'INTERNAL', message: 'boom' }] }).message).toBe(
      'veo3: interaction v1_abc failed: boom',
    );
    expect(
      failure({ status: 'failed', steps: [{ type: 'model_output', error: { code: 13, message: 'step boom' } }] })
        .message,
    ).toBe('veo3: interaction v1_abc failed: step boom');
    expect(failure({ status: 'failed' }).message).toBe('veo3: interaction v1_abc failed: no reason given');
    expect(failure({ status: 'cancelled' }).message).toBe('veo3: interaction v1_abc ended with status cancelled');
    expect(failure({ status: 'incomplete', errors: [{ message: 'cut short' }] }).message).toBe(
      'veo3: interaction v1_abc ended with status incomplete: cut short',
    );
    // Google's words are the message's (the job log's), never the public message's (errors/vendor-failure.ts).
    expect(failure({ status: 'failed', errors: [{ code: 'INTERNAL', message: 'boom' }] }).publicMessage).toBe(
      'veo3: interaction v1_abc failed',
    );
    expect(failure({ status: 'completed', output_text: 'I cannot make that.' }).publicMessage).not.toContain(
      'I cannot make that',
    );
  });
});

describe('classifyGoogleSdkError', () => {
  it("an Interactions API error: its status, Google's envelope without the SDK's extras, Retry-After", () => {
    const err = Object.assign(new Error('429 Resource has been exhausted'), {
      name: 'RateLimitError',
      status: 429,
      headers: new Headers({ 'retry-after': '7' }),
      error: {
        httpMeta: { response: {}, request: {} },
        error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' },
      },
    });
    expect(classifyGoogleSdkError(err, null)).toEqual({
      status: 429,
      body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
      retryAfter: '7',
    });
  });

  it("network errors and the attempt deadline; ttv's own errors pass through", () => {
    expect(classifyGoogleSdkError(Object.assign(new Error('x'), { name: 'APIConnectionError' }), null)).toEqual({
      status: null,
    });
    expect(classifyGoogleSdkError(Object.assign(new Error('x'), { name: 'APIUserAbortError' }), null)).toEqual({
      status: null,
      timeout: true,
    });
    expect(classifyGoogleSdkError(new VendorError('veo3 (OAuth token)', 400, 'invalid_grant', false), null)).toBeNull();
    expect(classifyGoogleSdkError(new RangeError('a bug'), null)).toBeNull();
  });
});
