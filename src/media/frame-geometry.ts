// Frame sizes and aspect ratios: the size a job's frames are made at, the vendor size nearest an
// aspect, and the centred crop that brings a frame of another shape to the aspect.

export interface FrameSize {
  width: number;
  height: number;
}

/** Two aspects closer than this (relative) are the same shape: 1024x1536 is not 9:16, 1366x768 is 16:9. */
export const ASPECT_TOLERANCE = 0.01;

/** Width over height of "W:H" (an aspect ratio or a Runway-style "1280:720"). */
export function aspectValue(aspect: string): number {
  const [w, h] = aspect.split(':').map(Number) as [number, number];
  if (!(w > 0 && h > 0)) throw new Error(`"${aspect}" is not an aspect ratio like 16:9`);
  return w / h;
}

/** "16:9" for 640x360: the ratio in lowest terms. */
export function aspectText(size: FrameSize): string {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const d = gcd(size.width, size.height) || 1;
  return `${size.width / d}:${size.height / d}`;
}

export function sameAspect(a: number, b: number): boolean {
  return Math.abs(a / b - 1) <= ASPECT_TOLERANCE;
}

/** Even pixel size of an aspect ratio whose long side is `longSide`: 16:9 at 640 → 640x360, 9:16 → 360x640. */
export function sizeForAspect(aspect: string, longSide: number): FrameSize {
  const [w, h] = aspect.split(':').map(Number) as [number, number];
  const even = (n: number) => Math.max(16, 2 * Math.round(n / 2));
  return w >= h
    ? { width: even(longSide), height: even((longSide * h) / w) }
    : { width: even((longSide * w) / h), height: even(longSide) };
}

/**
 * `size` when it already has the aspect's shape, else the aspect at `size`'s long side: the frame
 * size of a job whose configured (or procedural) size and aspect ratio disagree.
 */
export function sizeInAspect(aspect: string | undefined, size: FrameSize): FrameSize {
  if (!aspect || sameAspect(aspectValue(aspect), size.width / size.height)) return size;
  return sizeForAspect(aspect, Math.max(size.width, size.height));
}

/**
 * The candidate whose shape is nearest the aspect (compared as log ratios, so 2:1 and 1:2 are as far
 * from 1:1); between equally near ones, the larger.
 */
export function nearestSize<T extends FrameSize>(aspect: number, candidates: readonly T[]): T {
  const distance = (c: FrameSize) => Math.abs(Math.log(c.width / c.height / aspect));
  return [...candidates].sort((a, b) => distance(a) - distance(b) || b.width * b.height - a.width * a.height)[0]!;
}

/** The largest centred region of `size` with the aspect's shape, in even pixels (what H.264 frames need). */
export function cropToAspect(size: FrameSize, aspect: number): FrameSize {
  const even = (n: number) => Math.max(2, 2 * Math.floor(n / 2));
  if (size.width / size.height > aspect) return { width: even(size.height * aspect), height: even(size.height) };
  return { width: even(size.width), height: even(size.width / aspect) };
}

/** "1024x1536" → {width, height}. */
export function parseSize(text: string): FrameSize {
  const [width, height] = text.split('x').map(Number) as [number, number];
  return { width, height };
}

export const sizeText = (size: FrameSize) => `${size.width}x${size.height}`;
