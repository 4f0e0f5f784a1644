import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ffmpeg, canStreamCopy, concatListLine, type ProbeResult } from '../../../src/media/ffmpeg.js';
import { configSchema } from '../../../src/config/schema.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { decodedFrame, md5 } from '../../support/frames.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-ffmpeg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function clip(
  name: string,
  size: string,
  fps: number,
  seconds: number,
  audio: boolean | number,
): Promise<string> {
  const out = join(dir, name);
  const args = ['-f', 'lavfi', '-i', `testsrc2=s=${size}:r=${fps}:d=${seconds}`];
  // audio: true = as long as the video; a number = that many seconds (may outlast the video).
  if (audio !== false)
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${audio === true ? seconds : audio}`, '-c:a', 'aac');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out);
  await ffmpeg.run(args);
  return out;
}

describe('concatListLine', () => {
  it("single-quotes the path and escapes embedded quotes as '\\''", () => {
    expect(concatListLine("/tmp/it's a dir/seg 1.mp4")).toBe("file '/tmp/it'\\''s a dir/seg 1.mp4'");
    expect(concatListLine('/tmp/back\\slash.mp4')).toBe("file '/tmp/back\\slash.mp4'");
  });

  it('refuses paths with line breaks', () => {
    expect(() => concatListLine('/tmp/a\nfile /etc/passwd')).toThrow(/line break/);
    expect(() => concatListLine('/tmp/a\rb')).toThrow(/line break/);
  });
});

describe('canStreamCopy', () => {
  const video = {
    codec: 'h264',
    profile: 'High',
    width: 160,
    height: 90,
    fps: 12,
    pixFmt: 'yuv420p',
    timeBase: '1/12288',
    durationSeconds: 1,
  };
  const audio = { codec: 'aac', sampleRate: 48000, channels: 2 };
  const p = (over: Partial<ProbeResult>): ProbeResult => ({
    durationSeconds: 1,
    formatName: 'mov,mp4',
    video,
    audio: null,
    ...over,
  });

  it('accepts identical parameters and refuses any difference', () => {
    expect(canStreamCopy([p({}), p({})])).toBe(true);
    expect(canStreamCopy([p({ audio }), p({ audio })])).toBe(true);
    expect(canStreamCopy([p({}), p({ audio })])).toBe(false);
    expect(canStreamCopy([p({ audio }), p({ audio: { ...audio, channels: 1 } })])).toBe(false);
    expect(canStreamCopy([p({}), p({ video: { ...video, fps: 25 } })])).toBe(false);
    expect(canStreamCopy([p({}), p({ video: { ...video, width: 320 } })])).toBe(false);
    expect(canStreamCopy([p({}), p({ video: { ...video, pixFmt: 'yuv444p' } })])).toBe(false);
    expect(canStreamCopy([p({}), p({ video: null })])).toBe(false);
  });
});

describe('Ffmpeg', () => {
  it('probes codec, size, fps and duration', async () => {
    const file = await clip('probe.mp4', '160x90', 12, 1, false);
    const p = await ffmpeg.probe(file);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 90, fps: 12, pixFmt: 'yuv420p' });
    expect(p.audio).toBeNull();
    expect(p.durationSeconds).toBeCloseTo(1, 1);
    expect(p.formatName).toContain('mp4');
    const withAudio = await ffmpeg.probe(await clip('probe-audio.mp4', '160x90', 12, 1, true));
    expect(withAudio.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 1 });
  });

  it('builds from config', () => {
    const config = configSchema.parse({ ffmpeg_path: '/usr/bin/ffmpeg', worker: { cancel_grace_seconds: 2 } });
    expect(Ffmpeg.fromConfig(config)).toBeInstanceOf(Ffmpeg);
  });

  it('stream-copies matching clips, including from a path with a quote and spaces', async () => {
    const weird = join(dir, "it's here");
    await mkdir(weird);
    const a = await clip('a.mp4', '160x90', 12, 1, false);
    const b = await clip(join("it's here", 'b 2.mp4'), '160x90', 12, 1, false);
    const out = join(dir, 'joined.mp4');
    const { mode } = await ffmpeg.concat([a, b], out, { workDir: dir });
    expect(mode).toBe('copy');
    const p = await ffmpeg.probe(out);
    expect(Math.abs(p.durationSeconds - 2)).toBeLessThanOrEqual(0.2);
    // The second clip really is in there: the last frame is b's last frame.
    expect(md5(await decodedFrame(out, 'last'))).toBe(md5(await decodedFrame(b, 'last')));
  });

  it('normalises clips of different size, rate and audio layout before joining', async () => {
    const a = await clip('n1.mp4', '160x90', 12, 1, true);
    const b = await clip('n2.mp4', '320x240', 25, 2, false);
    const out = join(dir, 'normalized.mp4');
    const { mode } = await ffmpeg.concat([a, b], out, { workDir: dir });
    expect(mode).toBe('normalized');
    const p = await ffmpeg.probe(out);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 90, fps: 12 });
    expect(p.audio?.codec).toBe('aac');
    expect(Math.abs(p.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
    expect(Math.abs(p.video!.durationSeconds - 3)).toBeLessThanOrEqual(0.1);
  });

  it('normalises clips that differ only in frame rate, and drops audio when no clip has any', async () => {
    const a = await clip('r1.mp4', '160x90', 10, 1, false);
    const b = await clip('r2.mp4', '160x90', 15, 1.5, false);
    const out = join(dir, 'rates.mp4');
    expect((await ffmpeg.concat([a, b], out, { workDir: dir })).mode).toBe('normalized');
    const p = await ffmpeg.probe(out);
    expect(p.video).toMatchObject({ width: 160, height: 90, fps: 10 });
    expect(p.audio).toBeNull();
    expect(Math.abs(p.durationSeconds - 2.5)).toBeLessThanOrEqual(0.2);
  });

  it('accepts relative paths and no workDir, and leaves no scratch files behind', async () => {
    const sub = join(dir, 'rel');
    await mkdir(sub);
    const a = await clip(join('rel', 'x.mp4'), '160x90', 12, 1, false);
    const b = await clip(join('rel', 'y.mp4'), '200x100', 12, 1, false);
    const out = join(sub, 'out.mp4');
    await ffmpeg.concat([relative(process.cwd(), a), relative(process.cwd(), b)], out);
    expect((await readdir(sub)).sort()).toEqual(['out.mp4', 'x.mp4', 'y.mp4']);
    expect(Math.abs((await ffmpeg.probe(out)).durationSeconds - 2)).toBeLessThanOrEqual(0.2);
  });

  it('stops with CanceledError when aborted', async () => {
    const a = await clip('c1.mp4', '160x90', 12, 1, false);
    const controller = new AbortController();
    controller.abort();
    await expect(ffmpeg.concat([a, a], join(dir, 'never.mp4'), { signal: controller.signal })).rejects.toBeInstanceOf(
      CanceledError,
    );
  });

  it('extracts the very last frame as a PNG', async () => {
    const file = await clip('last.mp4', '160x90', 30, 1, false);
    const png = await ffmpeg.extractLastFrame(file, join(dir, 'frames', 'last.png'));
    expect((await ffmpeg.probe(png)).video).toMatchObject({ codec: 'png', width: 160, height: 90 });
    expect(md5(await decodedFrame(png))).toBe(md5(await decodedFrame(file, 'last')));
    expect(md5(await decodedFrame(png))).not.toBe(md5(await decodedFrame(file, 'first')));
  });

  it('extracts the last frame of a low-rate clip, where the last 0.1 s holds no frame', async () => {
    const file = await clip('low.mp4', '160x90', 4, 2, false);
    const png = await ffmpeg.extractLastFrame(file, join(dir, 'frames', 'low.png'));
    expect(md5(await decodedFrame(png))).toBe(md5(await decodedFrame(file, 'last')));
  });

  it('falls back to decoding the whole stream when the container outlasts the video', async () => {
    // 1 s of video, 3 s of audio: the end of the file holds no video frame at all.
    const file = await clip('long-audio.mp4', '160x90', 12, 1, 3);
    expect((await ffmpeg.probe(file)).durationSeconds).toBeGreaterThan(2.5);
    const png = await ffmpeg.extractLastFrame(file, join(dir, 'frames', 'long-audio.png'));
    expect(md5(await decodedFrame(png))).toBe(md5(await decodedFrame(file, 'last')));
  });
});

describe('fitFrame', () => {
  const image = async (name: string, size: string) => {
    const out = join(dir, name);
    await ffmpeg.run(['-f', 'lavfi', '-i', `testsrc2=s=${size}:d=1`, '-frames:v', '1', out]);
    return out;
  };

  it('crops the centre of a frame of another shape, in place, and leaves one of the right shape alone', async () => {
    const tall = await image('fit-tall.png', '1024x1536');
    const before = md5(await decodedFrame(tall));
    expect(await ffmpeg.fitFrame(tall, tall, { aspect: 9 / 16 })).toEqual({
      fitted: true,
      from: { width: 1024, height: 1536 },
      to: { width: 864, height: 1536 },
    });
    expect(await ffmpeg.frameSize(tall)).toEqual({ width: 864, height: 1536 });
    expect(md5(await decodedFrame(tall))).not.toBe(before);
    // No scratch file is left next to it.
    expect((await readdir(dir)).filter((f) => f.includes('.fit-'))).toEqual([]);
    const again = md5(await decodedFrame(tall));
    expect(await ffmpeg.fitFrame(tall, tall, { aspect: 9 / 16 })).toMatchObject({ fitted: false });
    expect(md5(await decodedFrame(tall))).toBe(again);
  });

  it('scales and crops to an exact size into another file', async () => {
    const wide = await image('fit-wide.png', '640x360');
    const out = join(dir, 'fit-out', 'sdxl.png');
    expect(await ffmpeg.fitFrame(wide, out, { size: { width: 768, height: 1344 } })).toMatchObject({
      fitted: true,
      to: { width: 768, height: 1344 },
    });
    expect(await ffmpeg.frameSize(out)).toEqual({ width: 768, height: 1344 });
    expect(await ffmpeg.frameSize(wide)).toEqual({ width: 640, height: 360 });
  });
});
