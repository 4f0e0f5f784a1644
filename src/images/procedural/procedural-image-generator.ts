// The offline image provider: a PNG rendered by ffmpeg whose look is derived from the prompt; with
// an input image (image-to-image) the result is that image tinted toward the prompt's colours, so
// that successive keyframes stay related the way I2I keyframes do.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Ffmpeg } from '../../media/ffmpeg.js';
import { visualSeed } from '../../procedural/visual-seed.js';
import type { ImageGenerator, ImageRequest } from '../types.js';

export class ProceduralImageGenerator implements ImageGenerator {
  readonly id = 'procedural';

  constructor(private readonly ffmpeg: Ffmpeg) {}

  async generate(request: ImageRequest, options: { signal: AbortSignal }): Promise<string> {
    const { width, height } = request;
    const look = visualSeed(request.prompt);
    await mkdir(dirname(request.outputPath), { recursive: true });
    const gradient = `gradients=s=${width}x${height}:r=1:c0=${look.colorA}:c1=${look.colorB}:seed=${look.seed}:duration=1`;
    const args = ['-f', 'lavfi', '-i', gradient];
    if (request.inputImage) {
      args.push(
        '-i',
        request.inputImage,
        '-filter_complex',
        `[1:v]scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,format=rgb24[img];[0:v]format=rgb24[grad];[img][grad]blend=all_mode=normal:all_opacity=0.4[out]`,
        '-map',
        '[out]',
      );
    }
    args.push('-frames:v', '1', '-update', '1', request.outputPath);
    await this.ffmpeg.run(args, { signal: options.signal });
    return request.outputPath;
  }
}
