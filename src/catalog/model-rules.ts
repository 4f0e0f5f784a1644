// What a catalog row allows, as questions the generators, the startup check, `ttv config check` and
// the vendor fakes all ask the same way: which durations, which aspect ratio in which mode, which
// ratio goes on the wire. A request the vendor would refuse is refused here first, before any paid call.
import type { CatalogRow, DurationRule, RatioMap } from '../config/catalog-row-schema.js';

export function allowedDurations(rule: DurationRule): number[] {
  if ('seconds' in rule) return rule.seconds;
  const out: number[] = [];
  for (let s = rule.min; s <= rule.max; s += 1) out.push(s);
  return out;
}

export function durationText(rule: DurationRule): string {
  return 'seconds' in rule ? rule.seconds.join(', ') : `${rule.min}–${rule.max} (whole seconds)`;
}

/**
 * The problem with rendering `seconds` on this model, or null. No vendor documents that it maps
 * an unsupported duration to a nearby one, so ttv does not either: the job is refused before any
 * paid call, naming the allowed values.
 */
export function durationProblem(model: CatalogRow, seconds: number, key = 'segment_duration_seconds'): string | null {
  if (allowedDurations(model.durations).includes(seconds)) return null;
  return `${model.id} renders ${durationText(model.durations)} s clips, not ${seconds} s (${key})`;
}

/** The ratios a mode offers; for 'follows-image', any aspect (the frame decides). */
export function ratiosFor(model: CatalogRow, mode: 'text' | 'image'): RatioMap | 'follows-image' | null {
  return mode === 'text' ? model.modes.text : model.modes.image;
}

/** Problem of an aspect ratio for a mode, or null. */
export function ratioProblem(model: CatalogRow, mode: 'text' | 'image', aspect: string | undefined): string | null {
  const ratios = ratiosFor(model, mode);
  if (ratios === null) return `${model.id} has no ${mode === 'text' ? 'text-to-video' : 'image-to-video'} mode`;
  if (!aspect || ratios === 'follows-image') return null;
  if (aspect in ratios) return null;
  return `${model.id} ${mode === 'text' ? 'text-to-video' : 'image-to-video'} renders aspect ratios ${Object.keys(ratios).join(', ')}, not ${aspect} (video_aspect_ratio)`;
}

/** The wire ratio for an aspect in a mode: the requested one, else the mode's first (its default). */
export function wireRatio(model: CatalogRow, mode: 'text' | 'image', aspect: string | undefined): string | undefined {
  const ratios = ratiosFor(model, mode);
  if (!ratios || ratios === 'follows-image') return undefined;
  if (aspect && ratios[aspect]) return ratios[aspect];
  return Object.values(ratios)[0];
}

/** Every wire ratio the vendor accepts for a mode: ttv's choices and the extra ones. */
export function acceptedWireRatios(model: CatalogRow, mode: 'text' | 'image'): string[] {
  const ratios = ratiosFor(model, mode);
  if (!ratios || ratios === 'follows-image') return [];
  return [...Object.values(ratios), ...(model.extra_wire_ratios ?? [])];
}

/** Aspect ratios in either mode (undefined = any: an image mode that follows the frame). */
export function anyModeAspects(model: CatalogRow): string[] | undefined {
  const sets = [model.modes.text, model.modes.image].filter((r): r is RatioMap | 'follows-image' => r !== null);
  if (sets.some((s) => s === 'follows-image')) return undefined;
  return [...new Set(sets.flatMap((s) => Object.keys(s as RatioMap)))];
}
