// What one vendor model can render, as the vendor's own SDK types and docs say: durations, aspect
// ratios per mode (text-to-video, image-to-video), first+last frames, audio, price. validate(), the
// startup check, `ttv config check`, the fallback chain and the vendor fakes all read these rows,
// so a request the vendor would refuse is refused here first, before any paid call.

/** Durations a model renders: an explicit list, or every whole second in a range. */
export type DurationRule = { seconds: number[] } | { min: number; max: number };

/** Aspect ratio ("16:9") → the value the vendor's wire format wants for it ("1280:720"). */
export type RatioMap = Record<string, string>;

export interface ModelCapabilities {
  /** The vendor's model id as sent on the wire. */
  id: string;
  /** Text-to-video ratios; null when the model needs an image. 'follows-image' never applies here. */
  text: RatioMap | null;
  /** Image-to-video ratios; 'follows-image' when the clip takes the frame's shape (no ratio sent). */
  image: RatioMap | 'follows-image' | null;
  /** Wire ratios the vendor also accepts that ttv does not choose (a second size for an aspect). */
  extraWireRatios?: string[];
  /** Accepts a last frame next to the first. */
  firstLast: boolean;
  durations: DurationRule;
  /** Whether the request carries a duration field at all (some models render one fixed length). */
  durationField: boolean;
  audio: 'none' | 'optional' | 'always';
  /** List price in USD per second of video (audio off where that is cheaper). */
  usdPerSecond: number;
  maxPromptLength: number;
  /** Where the row comes from (SDK type or vendor doc). */
  source: string;
}

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
export function durationProblem(model: ModelCapabilities, seconds: number, key = 'segment_duration_seconds'): string | null {
  if (allowedDurations(model.durations).includes(seconds)) return null;
  return `${model.id} renders ${durationText(model.durations)} s clips, not ${seconds} s (${key})`;
}

/** The ratios a mode offers; for 'follows-image', any aspect (the frame decides). */
export function ratiosFor(model: ModelCapabilities, mode: 'text' | 'image'): RatioMap | 'follows-image' | null {
  return mode === 'text' ? model.text : model.image;
}

/** Problem of an aspect ratio for a mode, or null. */
export function ratioProblem(model: ModelCapabilities, mode: 'text' | 'image', aspect: string | undefined): string | null {
  const ratios = ratiosFor(model, mode);
  if (ratios === null) return `${model.id} has no ${mode === 'text' ? 'text-to-video' : 'image-to-video'} mode`;
  if (!aspect || ratios === 'follows-image') return null;
  if (aspect in ratios) return null;
  return `${model.id} ${mode === 'text' ? 'text-to-video' : 'image-to-video'} renders aspect ratios ${Object.keys(ratios).join(', ')}, not ${aspect} (video_aspect_ratio)`;
}

/** The wire ratio for an aspect in a mode: the requested one, else the mode's first (its default). */
export function wireRatio(model: ModelCapabilities, mode: 'text' | 'image', aspect: string | undefined): string | undefined {
  const ratios = ratiosFor(model, mode);
  if (!ratios || ratios === 'follows-image') return undefined;
  if (aspect && ratios[aspect]) return ratios[aspect];
  return Object.values(ratios)[0];
}

/** Aspect ratios in either mode, for the GeneratorCapabilities summary (undefined = any). */
export function anyModeAspects(model: ModelCapabilities): string[] | undefined {
  const sets = [model.text, model.image].filter((r): r is RatioMap | 'follows-image' => r !== null);
  if (sets.some((s) => s === 'follows-image')) return undefined;
  return [...new Set(sets.flatMap((s) => Object.keys(s as RatioMap)))];
}
