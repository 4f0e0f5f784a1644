import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type ProceduralConfig } from '../../../src/config/schema.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import {
  ProceduralVideoGenerator,
  drawtextEscape,
  findFont,
} from '../../../src/generators/procedural/procedural-video-generator.js';
import { ProceduralImageGenerator } from '../../../src/images/procedural/procedural-image-generator.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import { fakePng } from '../../support/images.js';
import { countFrames, decodedFrame, md5, psnr } from '../../support/frames.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
const settings = (over: Partial<ProceduralConfig> = {}): ProceduralConfig =>
  configSchema.parse({ procedural: { width: 160, height: 90, fps: 12, ...over } }).procedural;
const never = () => new AbortController().signal;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-procgen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function render(
  name: string,
  prompt: string,
  over: Partial<ProceduralConfig> = {},
  extra: { durationSeconds?: number; firstFrame?: string; aspectRatio?: string } = {},
) {
  const generator = new ProceduralVideoGenerator(ffmpeg, settings(over));
  const outputPath = join(dir, name, 'clip.mp4'); // a directory that does not exist yet
  const progress: number[] = [];
  await generator.generate(
    {
      prompt,
      durationSeconds: extra.durationSeconds ?? 1.5,
      segment: 1,
      outputPath,
      firstFrame: extra.firstFrame,
      aspectRatio: extra.aspectRatio,
    },
    { signal: never(), onProgress: (f) => progress.push(f) },
  );
  return { outputPath, progress };
}

describe('ProceduralVideoGenerator', () => {
  it('renders H.264 yuv420p of the configured size, with exactly round(duration × fps) frames', async () => {
    const { outputPath, progress } = await render('basic', 'A lighthouse at dusk.', {}, { durationSeconds: 2.3 });
    const p = await ffmpeg.probe(outputPath);
    expect(p.video).toMatchObject({ codec: 'h264', width: 160, height: 90, fps: 12, pixFmt: 'yuv420p' });
    // The storyboard carries a silent AAC track, as vendor clips with audio do; the gradient has none.
    expect(p.audio).toMatchObject({ codec: 'aac' });
    expect(
      (await ffmpeg.probe((await render('basic-gradient', 'A lighthouse at dusk.', { style: 'gradient' })).outputPath))
        .audio,
    ).toBeNull();
    expect(await countFrames(outputPath)).toBe(Math.round(2.3 * 12));
    expect(Math.abs(p.durationSeconds - 28 / 12)).toBeLessThanOrEqual(0.1);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("renders the asked aspect ratio at procedural.width's long side, in both styles", async () => {
    for (const style of ['storyboard', 'gradient'] as const) {
      const portrait = await render(`portrait-${style}`, 'A tall tower.', { style }, { aspectRatio: '9:16' });
      expect((await ffmpeg.probe(portrait.outputPath)).video).toMatchObject({ width: 90, height: 160 });
    }
    // An aspect that procedural.width x height already has changes nothing.
    const same = await render('same-aspect', 'A wide field.', {}, { aspectRatio: '16:9' });
    expect((await ffmpeg.probe(same.outputPath)).video).toMatchObject({ width: 160, height: 90 });
  });

  it('is deterministic: the same prompt gives the same frames, another prompt other frames', async () => {
    const a = await render('det-a', 'A red kite over the dunes.');
    const b = await render('det-b', 'A red kite over the dunes.');
    const c = await render('det-c', 'A blue boat in the harbour.');
    for (const which of ['first', 'last'] as const) {
      expect(md5(await decodedFrame(b.outputPath, which))).toBe(md5(await decodedFrame(a.outputPath, which)));
      expect(md5(await decodedFrame(c.outputPath, which))).not.toBe(md5(await decodedFrame(a.outputPath, which)));
    }
  });

  it('starts from the given first frame (image-to-video)', async () => {
    const image = await new ProceduralImageGenerator(ffmpeg).generate(
      { prompt: 'A still of a harbour', outputPath: join(dir, 'i2v', 'first.png'), width: 160, height: 90 },
      { signal: never() },
    );
    const { outputPath } = await render('i2v', 'The boats start to move.', {}, { firstFrame: image });
    const first = await decodedFrame(outputPath, 'first');
    expect(psnr(await decodedFrame(image), first)).toBeGreaterThan(30);
    // Without the image the clip starts elsewhere: the comparison can tell.
    const plain = await render('t2v', 'The boats start to move.');
    expect(psnr(await decodedFrame(image), await decodedFrame(plain.outputPath, 'first'))).toBeLessThan(25);
  });

  it('writes the last frame as a by-product when asked', async () => {
    const generator = new ProceduralVideoGenerator(ffmpeg, settings());
    const outputPath = join(dir, 'byproduct', 'clip.mp4');
    const lastFrameOutput = join(dir, 'byproduct', 'frames', 'last.png');
    await generator.generate(
      { prompt: 'Waves.', durationSeconds: 1, segment: 2, outputPath, lastFrameOutput },
      { signal: never() },
    );
    expect(psnr(await decodedFrame(lastFrameOutput), await decodedFrame(outputPath, 'last'))).toBeGreaterThan(35);
  });

  it.skipIf(!findFont())('draws the prompt when text_overlay is on, whatever characters it holds', async () => {
    const tricky = "It's 50% done: [a,b]; c\\d 'quoted' %{pts}\nsecond line";
    const withText = await render('overlay', tricky, { style: 'gradient', text_overlay: true });
    const without = await render('no-overlay', tricky, { style: 'gradient' });
    expect(md5(await decodedFrame(withText.outputPath))).not.toBe(md5(await decodedFrame(without.outputPath)));
  });

  it.skipIf(!findFont() && process.env.CI !== 'true')(
    'storyboard: the caption region differs between prompts of the same theme, and is stable for one prompt',
    async () => {
      // Both prompts pick the "snow" look, so palette and motion agree and only the caption tells them apart.
      const crop = async (file: string, which: 'first' | 'last') => {
        const frame = await decodedFrame(file, which);
        // The caption band: rows 45..70 % of the 90-pixel frame, full width (RGB, 3 bytes a pixel).
        return frame.subarray(Math.round(90 * 0.45) * 160 * 3, Math.round(90 * 0.7) * 160 * 3);
      };
      const a = await render('card-a', 'A fox runs through the snow.', { width: 160, height: 90 });
      const a2 = await render('card-a2', 'A fox runs through the snow.', { width: 160, height: 90 });
      const b = await render('card-b', 'Snow settles on an empty bench.', { width: 160, height: 90 });
      for (const which of ['first', 'last'] as const) {
        expect(md5(await crop(a2.outputPath, which))).toBe(md5(await crop(a.outputPath, which)));
        expect(psnr(await crop(a.outputPath, which), await crop(b.outputPath, which))).toBeLessThan(25);
      }
    },
  );

  it('storyboard: names a missing font as a request problem', () => {
    const generator = new ProceduralVideoGenerator(ffmpeg, settings());
    const problems = generator.validate({ prompt: 'x', durationSeconds: 1, segment: 1 });
    expect(problems.some((p) => p.includes('fonts-dejavu-core'))).toBe(!findFont());
  });

  it('escapes overlay text after cutting it, so no escape is cut in half', () => {
    const escaped = drawtextEscape(`${'a'.repeat(119)}'tail`);
    expect(escaped.endsWith("\\\\\\'")).toBe(true);
    expect(drawtextEscape('two\n\nlines')).toBe('two\\\\\\ lines');
  });

  it('waits out simulated latency with progress, and stops at once when aborted', async () => {
    const generator = new ProceduralVideoGenerator(ffmpeg, settings({ simulated_latency_seconds: 30 }));
    const controller = new AbortController();
    const outputPath = join(dir, 'latency', 'clip.mp4');
    let firstProgress: () => void = () => undefined;
    const progressed = new Promise<void>((resolve) => {
      firstProgress = resolve;
    });
    const started = Date.now();
    const run = generator.generate(
      { prompt: 'Slow.', durationSeconds: 1, segment: 1, outputPath },
      {
        signal: controller.signal,
        onProgress: (f) => {
          if (f > 0) firstProgress();
        },
      },
    );
    await progressed;
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    // Ended before the 30 s of latency ran out: the abort was honoured (not a speed figure).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(existsSync(outputPath)).toBe(false);
  });

  it('stops rendering with CanceledError when aborted mid-clip', async () => {
    const generator = new ProceduralVideoGenerator(ffmpeg, settings({ width: 1280, height: 720, fps: 30 }));
    const controller = new AbortController();
    const run = generator.generate(
      { prompt: 'Long.', durationSeconds: 60, segment: 1, outputPath: join(dir, 'abort', 'clip.mp4') },
      {
        signal: controller.signal,
        onProgress: (f) => {
          if (f > 0) controller.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(CanceledError);
  });

  it('states its capabilities, costs nothing, and validates requests', () => {
    const generator = new ProceduralVideoGenerator(ffmpeg, settings());
    expect(generator.id).toBe('procedural');
    expect(generator.capabilities()).toMatchObject({
      minDurationSeconds: 0.5,
      maxDurationSeconds: 60,
      textToVideo: true,
      imageToVideo: true,
      firstLastFrame: true,
      maxPromptLength: 2000,
    });
    expect(generator.estimateCost(5)).toBe(0);
    expect(generator.validate({ prompt: 'ok', durationSeconds: 5, segment: 1 })).toEqual([]);
    expect(generator.validate({ prompt: 'ok', durationSeconds: 0.4, segment: 1 }).join()).toMatch(/outside 0.5..60/);
    expect(generator.validate({ prompt: 'ok', durationSeconds: 61, segment: 1 }).join()).toMatch(/outside 0.5..60/);
    expect(generator.validate({ prompt: '  ', durationSeconds: 5, segment: 1 }).join()).toMatch(/empty/);
    expect(generator.validate({ prompt: 'x'.repeat(2001), durationSeconds: 5, segment: 1 }).join()).toMatch(
      /longer than 2000/,
    );
    expect(
      generator.validate({ prompt: 'ok', durationSeconds: 5, segment: 1, firstFrame: join(dir, 'missing.png') }).join(),
    ).toMatch(/first frame/);
  });
});

describe('ProceduralVideoGenerator with a first frame that does not decode', () => {
  it("fails the render with ffmpeg's decode error instead of looping the file forever", async () => {
    const fake = join(dir, 'fake-first-frame.png');
    await writeFile(fake, fakePng());
    for (const style of ['storyboard', 'gradient'] as const) {
      const generator = new ProceduralVideoGenerator(ffmpeg, settings({ style }));
      const err = await generator
        .generate(
          {
            prompt: 'A lake.',
            durationSeconds: 1,
            segment: 1,
            outputPath: join(dir, `fake-${style}`, 'clip.mp4'),
            firstFrame: fake,
            lastFrame: fake,
          },
          { signal: never() },
        )
        .catch((e: unknown) => e);
      expect(err, style).toBeInstanceOf(ProcessError);
      expect((err as Error).message).toContain('Invalid data found when processing input');
    }
  });
});
