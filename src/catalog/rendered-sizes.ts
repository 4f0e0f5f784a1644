// The exact pixel sizes a catalogued model renders as ttv drives it, for the OpenAI face's `size`:
// a wire ratio that is a pixel size ("1280:720" for Runway) is one; otherwise the resolution ttv asks
// for (the operator's setting, else the row's first `resolutions` entry, as the backends send it)
// at each aspect ratio of the mode ("720p" at 16:9 → 1280x720, at 9:16 → 720x1280). Resolution names
// that are not "<short side>p" or "4k" ("2k", "768P" is fine) say no pixel size and give none.
import type { CatalogRow, RatioMap } from '../config/catalog-row-schema.js';

const PIXELS = /^(\d{2,5}):(\d{2,5})$/;

function shortSide(resolution: string): number | null {
  const p = /^(\d{3,4})p$/i.exec(resolution);
  if (p) return Number(p[1]);
  return resolution.toLowerCase() === '4k' ? 2160 : null;
}

/** The pixel size of an aspect ratio at a short side, even on both sides: 16:9 at 720 → 1280x720. */
function atShortSide(aspect: string, short: number): string {
  const [aw, ah] = aspect.split(':').map(Number) as [number, number];
  const long = Math.round((short * Math.max(aw, ah)) / Math.min(aw, ah) / 2) * 2;
  return aw >= ah ? `${long}x${short}` : `${short}x${long}`;
}

/** The ratio map of the mode a request uses (image when it sends a first frame and the model has one). */
export function modeRatios(row: CatalogRow, withImage: boolean): RatioMap | null {
  const image = typeof row.modes.image === 'object' ? row.modes.image : null;
  return (withImage ? (image ?? row.modes.text) : (row.modes.text ?? image)) ?? null;
}

export function renderedSizes(
  row: CatalogRow,
  withImage: boolean,
  resolution: string | undefined = row.resolutions?.[0],
): string[] {
  const ratios = modeRatios(row, withImage);
  if (!ratios) return [];
  const short = resolution ? shortSide(resolution) : null;
  const sizes = new Set<string>();
  for (const [aspect, wire] of Object.entries(ratios)) {
    const pixels = PIXELS.exec(wire);
    if (pixels && Number(pixels[1]) >= 64 && Number(pixels[2]) >= 64) sizes.add(`${pixels[1]}x${pixels[2]}`);
    else if (short) sizes.add(atShortSide(aspect, short));
  }
  return [...sizes];
}

/** The mode's aspect ratio nearest to a pixel size (for rows whose vendor maps any size to its nearest). */
export function nearestAspect(row: CatalogRow, withImage: boolean, width: number, height: number): string | null {
  const ratios = modeRatios(row, withImage);
  if (!ratios) return null;
  const asked = Math.log(width / height);
  let best: string | null = null;
  for (const aspect of Object.keys(ratios)) {
    const [aw, ah] = aspect.split(':').map(Number) as [number, number];
    if (best === null) best = aspect;
    const [bw, bh] = best.split(':').map(Number) as [number, number];
    if (Math.abs(Math.log(aw / ah) - asked) < Math.abs(Math.log(bw / bh) - asked)) best = aspect;
  }
  return best;
}
