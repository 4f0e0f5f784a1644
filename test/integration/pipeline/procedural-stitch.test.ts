// A multi-segment offline job: every procedural segment comes out with the same stream parameters
// (video and audio), so the stitch stage joins them by stream copy instead of re-encoding.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createPipeline } from '../../../src/pipeline/create-pipeline.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-procedural-stitch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });

describe.each(['chaining', 'keyframe'] as const)('procedural storyboard job in %s mode', (mode) => {
  it('renders every segment with identical stream parameters and stitches by stream copy', async () => {
    const config = configSchema.parse({ data_dir: dir, generation_mode: mode, segment_duration_seconds: 2 });
    const workDir = join(dir, mode);
    const lines: string[] = [];
    const result = await createPipeline().run({
      prompt: 'A fox runs through snow. It stops at a frozen river. It looks back.',
      config,
      workDir,
      signal: new AbortController().signal,
      reporter: {
        progress: async () => undefined,
        log: async (line: string) => {
          lines.push(line);
        },
      },
    });
    expect(result.segmentCount).toBe(3);
    const segments = (await readdir(join(workDir, 'videos'))).filter((f) => f.endsWith('.mp4')).sort();
    expect(segments).toHaveLength(3);
    const probes = await Promise.all(segments.map((f) => ffmpeg.probe(join(workDir, 'videos', f))));
    const params = probes.map((p) => ({
      video: p.video && {
        codec: p.video.codec,
        profile: p.video.profile,
        width: p.video.width,
        height: p.video.height,
        fps: p.video.fps,
        pixFmt: p.video.pixFmt,
        timeBase: p.video.timeBase,
      },
      audio: p.audio,
    }));
    // The storyboard style carries a silent AAC track, like vendor clips with audio: every segment has it.
    for (const p of params) expect(p.audio).not.toBeNull();
    expect(params[1]).toEqual(params[0]);
    expect(params[2]).toEqual(params[0]);
    expect(lines).toContain('Segments joined by stream copy');
    expect(lines).not.toContain('Segments differed; normalised before joining');
  });
});
