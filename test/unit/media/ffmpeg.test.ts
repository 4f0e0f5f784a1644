import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ffmpeg, concatListLine } from '../../../src/media/ffmpeg.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ttv-ffmpeg-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function clip(name: string, size: string, fps: number, seconds: number, audio: boolean): Promise<string> {
  const out = join(dir, name);
  const args = ['-f', 'lavfi', '-i', `testsrc2=s=${size}:r=${fps}:d=${seconds}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac', '-shortest');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out);
  await ffmpeg.run(args);
  return out;
}

describe('Ffmpeg', () => {
  it('escapes quotes in concat list lines', () => {
    expect(concatListLine("/tmp/it's a dir/seg 1.mp4")).toBe("file '/tmp/it'\\''s a dir/seg 1.mp4'");
  });

  it('probes codec, size, fps and duration', async () => {
    const file = await clip('probe.mp4', '160x90', 12, 1, false);
    const p = await ffmpeg.probe(file);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 90, fps: 12, pixFmt: 'yuv420p' });
    expect(p.audio).toBeNull();
    expect(p.durationSeconds).toBeCloseTo(1, 1);
  });

  it('stream-copies matching clips, including from a path with a quote and spaces', async () => {
    const weird = join(dir, "it's here");
    await ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=12:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(dir, 'a.mp4')]);
    await rm(weird, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(weird));
    const b = join(weird, 'b 2.mp4');
    await ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=12:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', b]);
    const out = join(dir, 'joined.mp4');
    const { mode } = await ffmpeg.concat([join(dir, 'a.mp4'), b], out, { workDir: dir });
    expect(mode).toBe('copy');
    expect((await ffmpeg.probe(out)).durationSeconds).toBeCloseTo(2, 0);
  });

  it('normalises clips of different size, rate and audio layout before joining', async () => {
    const a = await clip('n1.mp4', '160x90', 12, 1, true);
    const b = await clip('n2.mp4', '320x240', 25, 2, false);
    const out = join(dir, 'normalized.mp4');
    const { mode } = await ffmpeg.concat([a, b], out, { workDir: dir });
    expect(mode).toBe('normalized');
    const p = await ffmpeg.probe(out);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 90 });
    // The concat demuxer derives the rate from timestamps: 12 fps can read as 11.988.
    expect(p.video!.fps).toBeCloseTo(12, 1);
    expect(p.audio?.codec).toBe('aac');
    expect(Math.abs(p.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
  });

  it('extracts the last frame as a PNG', async () => {
    const file = await clip('last.mp4', '160x90', 12, 1, false);
    const png = await ffmpeg.extractLastFrame(file, join(dir, 'frames', 'last.png'));
    const p = await ffmpeg.probe(png);
    expect(p.video).toMatchObject({ codec: 'png', width: 160, height: 90 });
  });
});
