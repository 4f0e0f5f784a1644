import { describe, expect, it } from 'vitest';
import { requestProblems } from '../../../src/generators/request-problems.js';
import { requireKey } from '../../../src/generators/remote/require-key.js';
import { imageMimeType } from '../../../src/generators/remote/image-data-uri.js';
import { describeUrl } from '../../../src/generators/remote/download-video.js';
import { findVideoUrl } from '../../../src/generators/fal/fal-video-generator.js';
import { pollTask } from '../../../src/generators/remote/poll-task.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';

const caps = {
  minDurationSeconds: 2,
  maxDurationSeconds: 10,
  textToVideo: true,
  imageToVideo: true,
  firstLastFrame: false,
  maxPromptLength: 20,
  aspectRatios: ['16:9'],
};

describe('remote request checks', () => {
  it('names each problem and the config key of the duration limit', () => {
    expect(requestProblems({ prompt: 'ok', durationSeconds: 5, segment: 1 }, caps, 'x.max_duration')).toEqual([]);
    expect(
      requestProblems({ prompt: ' ', durationSeconds: 11, segment: 1, aspectRatio: '4:3' }, caps, 'x.max_duration'),
    ).toEqual([
      'prompt is empty',
      'duration 11 s is outside 2..10 s (x.max_duration)',
      'aspect ratio 4:3 is not one of 16:9',
    ]);
    expect(requestProblems({ prompt: 'a'.repeat(21), durationSeconds: 1, segment: 1 }, caps, 'k')).toEqual([
      'prompt is longer than 20 characters',
      'duration 1 s is outside 2..10 s (k)',
    ]);
  });

  it('requires a key with a config error naming it', () => {
    expect(requireKey('runway', 'runway_ml.api_key', 'k-1')).toBe('k-1');
    expect(() => requireKey('runway', 'runway_ml.api_key', undefined)).toThrow(
      /^runway: runway_ml\.api_key is required for the runway backend$/,
    );
  });
});

describe('wire helpers', () => {
  it('labels frames by their real format', () => {
    expect(imageMimeType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(imageMimeType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(imageMimeType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'))).toBe('image/webp');
  });

  it('keeps signatures out of described URLs', () => {
    expect(describeUrl('https://cdn.example.com/v/a.mp4?X-Amz-Signature=abc&token=t')).toBe('cdn.example.com/v/a.mp4');
  });

  it('finds the video URL in fal outputs of different shapes, preferring video keys', () => {
    expect(findVideoUrl({ video: { url: 'https://a/v.mp4' } })).toBe('https://a/v.mp4');
    expect(findVideoUrl({ images: [{ url: 'https://a/i.png' }], video: { url: 'https://a/v.mp4' } })).toBe(
      'https://a/v.mp4',
    );
    expect(findVideoUrl({ output: [{ file: 'not a url' }, 'https://a/o.mp4'] })).toBe('https://a/o.mp4');
    expect(findVideoUrl({ seed: 3 })).toBeNull();
  });
});

describe('pollTask', () => {
  it('returns the terminal value and reports progress on the way', async () => {
    const states = [
      { done: false as const, progress: 0.2 },
      { done: false as const, progress: 1.5 },
      { done: true as const, value: 'clip' },
    ];
    const seen: number[] = [];
    const value = await pollTask(async () => states.shift()!, {
      backend: 'b',
      taskId: 't',
      intervalMs: 1,
      deadline: Date.now() + 5000,
      signal: new AbortController().signal,
      onProgress: (f) => seen.push(f),
    });
    expect(value).toBe('clip');
    expect(seen).toEqual([0.2, 1]);
  });

  it('ends with a timeout error at the deadline and with CanceledError on abort', async () => {
    const never = async () => ({ done: false as const });
    await expect(
      pollTask(never, {
        backend: 'b',
        taskId: 't9',
        intervalMs: 5,
        deadline: Date.now() + 30,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(new GenerationError('b', 'timeout', 'task t9 did not finish before remote_api_settings.timeout'));
    const ac = new AbortController();
    const polling = pollTask(never, {
      backend: 'b',
      taskId: 't',
      intervalMs: 60_000,
      deadline: Date.now() + 120_000,
      signal: ac.signal,
    });
    ac.abort();
    await expect(polling).rejects.toBeInstanceOf(CanceledError);
  });
});
