import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { ProceduralImageGenerator } from '../../../src/images/procedural/procedural-image-generator.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
const images = new ProceduralImageGenerator(ffmpeg);
const signal = new AbortController().signal;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-procimg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ProceduralImageGenerator', () => {
  it('renders a PNG of the requested size, the same bytes for the same prompt, others for another', async () => {
    const a = await images.generate(
      { prompt: 'A castle on a hill', outputPath: join(dir, 'a', 'k.png'), width: 96, height: 64 },
      { signal },
    );
    const b = await images.generate(
      { prompt: 'A castle on a hill', outputPath: join(dir, 'b.png'), width: 96, height: 64 },
      { signal },
    );
    const c = await images.generate(
      { prompt: 'A ship at sea', outputPath: join(dir, 'c.png'), width: 96, height: 64 },
      { signal },
    );
    expect(images.id).toBe('procedural');
    expect((await ffmpeg.probe(a)).video).toMatchObject({ codec: 'png', width: 96, height: 64 });
    expect(await readFile(b)).toEqual(await readFile(a));
    expect(await readFile(c)).not.toEqual(await readFile(a));
  });

  it('derives an image-to-image result from the input image', async () => {
    const input = await images.generate(
      { prompt: 'Start', outputPath: join(dir, 'in.png'), width: 96, height: 64 },
      { signal },
    );
    const out = await images.generate(
      { prompt: 'Next', outputPath: join(dir, 'out.png'), inputImage: input, width: 96, height: 64 },
      { signal },
    );
    const plain = await images.generate(
      { prompt: 'Next', outputPath: join(dir, 'plain.png'), width: 96, height: 64 },
      { signal },
    );
    expect(await readFile(out)).not.toEqual(await readFile(plain));
  });
});
