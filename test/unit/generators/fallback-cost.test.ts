// What the fallback chain's generate() returns: the clip of the backend that made a usable one,
// costUsd summing every attempt that produced a clip (one the clip check rejected included), and the
// clip check's probe, so the pipeline neither downcasts the chain nor probes the clip again.
import { describe, expect, it } from 'vitest';
import { FallbackVideoGenerator } from '../../../src/generators/fallback-video-generator.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import type { ProbeResult } from '../../../src/media/ffmpeg.js';
import type { GenerateRequest, GenerateResult, VideoGenerator } from '../../../src/generators/types.js';

const PROBE: ProbeResult = {
  durationSeconds: 2,
  formatName: 'mov,mp4',
  audio: null,
  video: {
    codec: 'h264',
    profile: 'High',
    width: 160,
    height: 90,
    fps: 12,
    pixFmt: 'yuv420p',
    timeBase: '1/12288',
    durationSeconds: 2,
  },
};

/** A backend priced at `usdPerSecond` that writes nothing: its clip is whatever path it is asked for, or a failure. */
function backend(id: string, usdPerSecond: number, outcome: 'clip' | 'fail' = 'clip'): VideoGenerator {
  return {
    id,
    capabilities: () => ({
      minDurationSeconds: 1,
      maxDurationSeconds: 10,
      textToVideo: true,
      imageToVideo: true,
      firstLastFrame: true,
      maxPromptLength: 100,
    }),
    validate: () => [],
    estimateCost: (seconds) => seconds * usdPerSecond,
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      if (outcome === 'fail') throw new GenerationError(id, 'failed', 'task failed');
      return { path: `${request.outputPath}.${id}`, costUsd: request.durationSeconds * usdPerSecond };
    },
  };
}

const request: GenerateRequest = { prompt: 'A kite.', durationSeconds: 2, segment: 1, outputPath: '/tmp/clip.mp4' };
const hooks = () => ({ signal: new AbortController().signal });

describe('FallbackVideoGenerator.generate result', () => {
  it('is the first backend clip, priced by that backend, with the clip check probe', async () => {
    const chain = new FallbackVideoGenerator(
      [
        { id: 'a', create: () => backend('a', 0.5) },
        { id: 'b', create: () => backend('b', 0.1) },
      ],
      async () => PROBE,
    );
    expect(await chain.generate(request, hooks())).toEqual({ path: '/tmp/clip.mp4.a', costUsd: 1, probe: PROBE });
  });

  it('sums the cost of a clip the check rejected with the one that was kept; a failed task adds nothing', async () => {
    const chain = new FallbackVideoGenerator(
      [
        { id: 'a', create: () => backend('a', 0.5) },
        { id: 'b', create: () => backend('b', 0.25, 'fail') },
        { id: 'c', create: () => backend('c', 0.1) },
      ],
      async (path) => {
        if (path.endsWith('.a'))
          throw new GenerationError('clip check', 'no-output', 'the clip has no readable video stream');
        return PROBE;
      },
    );
    const result = await chain.generate(request, hooks());
    expect(result.path).toBe('/tmp/clip.mp4.c');
    expect(result.costUsd).toBeCloseTo(1.2, 10);
  });

  it('without a clip check, passes on the backend own result', async () => {
    const chain = new FallbackVideoGenerator([{ id: 'a', create: () => backend('a', 0) }]);
    expect(await chain.generate(request, hooks())).toEqual({ path: '/tmp/clip.mp4.a', costUsd: 0 });
  });
});
