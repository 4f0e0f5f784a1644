// The sizes Stability's v1 generation API renders, per engine (Stability API reference, v1
// text-to-image, read 2026-12-05): stable-diffusion-xl-1024-v1-0 takes only the nine SDXL sizes
// below, for text-to-image and as image-to-image init_image alike; the other v1 engines
// (stable-diffusion-v1-6) take sides from 320 to 1536 in multiples of 64.
import { nearestSize, type FrameSize } from '../../media/frame-geometry.js';

export const SDXL_SIZES: FrameSize[] = [
  [1024, 1024],
  [1152, 896],
  [896, 1152],
  [1216, 832],
  [832, 1216],
  [1344, 768],
  [768, 1344],
  [1536, 640],
  [640, 1536],
].map(([width, height]) => ({ width: width!, height: height! }));

/** Whether the engine is an SDXL one, limited to SDXL_SIZES. */
export const isSdxlEngine = (engine: string) => /xl-1024/.test(engine);

/** The size nearest the frame's shape that the engine renders. */
export function stabilitySize(engine: string, frame: FrameSize): FrameSize {
  if (isSdxlEngine(engine)) return nearestSize(frame.width / frame.height, SDXL_SIZES);
  // v1.6: the long side at 1024, the short one a multiple of 64 within 320..1536.
  const aspect = frame.width / frame.height;
  const side = (n: number) => Math.min(1536, Math.max(320, 64 * Math.round(n / 64)));
  return aspect >= 1 ? { width: 1024, height: side(1024 / aspect) } : { width: side(1024 * aspect), height: 1024 };
}
