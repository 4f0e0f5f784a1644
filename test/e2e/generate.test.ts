// `ttv generate` runs the worker's pipeline once, locally, and writes a playable MP4.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTV_BIN } from '../support/ttv-process.js';

const exec = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-generate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ttv generate', () => {
  it('writes the final video with a stage-and-percent progress bar, offline, in keyframe mode', async () => {
    const config = join(dir, 'ttv.yaml');
    await writeFile(
      config,
      'generation_mode: keyframe\nsegment_duration_seconds: 1\nprocedural: { width: 160, height: 96, fps: 12 }\n',
    );
    const out = join(dir, 'out.mp4');
    const { stderr } = await exec(
      process.execPath,
      [
        TTV_BIN,
        'generate',
        'Snow falls. A fox waits.',
        '--config',
        config,
        '--out',
        out,
        '--data-dir',
        join(dir, 'data'),
      ],
      { timeout: 60_000 },
    );
    expect(stderr).toMatch(/\]\s+30% keyframes/);
    expect(stderr).toMatch(/\]\s+\d+% segments/);
    expect(stderr).toMatch(/\]\s+80% stitching/);
    expect(stderr).toContain(`saved ${out} (2 segments, 2 s)`);
    const { stdout } = await exec('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name:format=duration',
      '-of',
      'json',
      out,
    ]);
    const probe = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration: string } };
    expect(probe.streams[0]!.codec_name).toBe('h264');
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThanOrEqual(0.2);
    expect(existsSync(join(dir, 'data', 'tmp')) ? await readdir(join(dir, 'data', 'tmp')) : []).toEqual([]);
  });

  it('leaves nothing in the working directory when no data dir exists', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    await writeFile(
      join(cwd, 'ttv.yaml'),
      'segment_duration_seconds: 1\nprocedural: { width: 160, height: 96, fps: 12 }\n',
    );
    await exec(process.execPath, [TTV_BIN, 'generate', 'A kite rises.', '--config', 'ttv.yaml', '--out', 'kite.mp4'], {
      cwd,
      timeout: 60_000,
    });
    expect((await readdir(cwd)).sort()).toEqual(['kite.mp4', 'ttv.yaml']);
  });
});
