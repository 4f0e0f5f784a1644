// What Runway's API checks of a create body beyond what @runwayml/sdk's types can say (value ranges,
// prompt lengths, rules between fields), per video model, each with where it was read and how sure
// it is. The fake applies these after the SDK-type check (runway-sdk-params.ts); neither reads ttv's
// catalog, so the fake stays an independent witness of what Runway accepts.
// Sources, read 2026-12-06:
//   [sdk]  a doc comment in @runwayml/sdk 4.20.1 resources/{image,text}-to-video.d.ts (official)
//   [docs] Runway's API pricing/models pages as transcribed in a public integration note dated
//          2026-10-04 (third-party transcription of the official page; the page itself was not
//          retrievable here) — medium confidence
//   [model] the model maker's public description, Runway's own limit not found — low confidence

export interface RunwayModelRule {
  /** Whole seconds the model renders; `auto` when the type allows 'auto' too. */
  seconds: { min: number; max: number } | { list: number[] };
  /** Longest promptText in UTF-16 code units. */
  promptMax: number;
  /** A keyframe array must hold a first frame (a last frame alone is refused). */
  lastNeedsFirst?: boolean;
  /** Keyframe (first/last) image-to-video needs one of these ratios ('auto_720p'…), the shape following the frame. */
  keyframeRatios?: string[];
  /** Text-only requests refuse this ratio value (it needs an image to follow). */
  textRefusesRatio?: string;
  /** Each image must be at least this many pixels on both sides. */
  minImageSide?: number;
  /** Credits per second at the request's defaults, for the estimatedCost the fake answers. */
  creditsPerSecond: number;
  source: string;
}

export const RUNWAY_MODEL_RULES: Record<string, RunwayModelRule> = {
  'gen4.5': {
    seconds: { min: 2, max: 10 },
    promptMax: 1000,
    creditsPerSecond: 12,
    source: '[sdk] "an integer from 2 to 10", promptText up to 1000; [docs] 12 cr/s',
  },
  gen4_turbo: {
    seconds: { min: 2, max: 10 },
    promptMax: 1000,
    creditsPerSecond: 5,
    source: '[docs] 2–10 s, 5 cr/s; [sdk] promptText up to 1000',
  },
  'veo3.1': {
    seconds: { list: [4, 6, 8] },
    promptMax: 1000,
    lastNeedsFirst: true,
    creditsPerSecond: 40,
    source: '[sdk] duration 4 | 6 | 8, "does not support generating with only a last frame"; [docs] 40 cr/s with audio',
  },
  'veo3.1_fast': {
    seconds: { list: [4, 6, 8] },
    promptMax: 1000,
    lastNeedsFirst: true,
    creditsPerSecond: 15,
    source: '[sdk] as veo3.1; [docs] 15 cr/s with audio',
  },
  hailuo3: {
    seconds: { min: 5, max: 15 },
    promptMax: 7000,
    textRefusesRatio: 'adaptive',
    creditsPerSecond: 10,
    source:
      '[sdk] "text-only requests require a concrete ratio"; [docs] 5–15 s, 10 cr/s at 768p; prompt limit: MiniMax H3\'s 7000 (MiniMax V2 docs)',
  },
  happyhorse_1_0: {
    seconds: { min: 3, max: 15 },
    promptMax: 2500,
    creditsPerSecond: 15,
    source: '[sdk] promptText up to 2500; [model] 3–15 s; [docs] 15 cr/s at 720p',
  },
  seedance2: {
    seconds: { min: 4, max: 15 },
    promptMax: 3500,
    creditsPerSecond: 36,
    source: '[sdk] prompt up to 3500, duration number | "auto"; [docs] 4–15 s, 36 cr/s',
  },
  seedance2_fast: {
    seconds: { min: 4, max: 15 },
    promptMax: 3500,
    creditsPerSecond: 29,
    source: '[sdk] prompt up to 3500; [docs] 29 cr/s; 4–15 s as seedance2 (not stated for the variant)',
  },
  seedance2_mini: {
    seconds: { min: 4, max: 15 },
    promptMax: 3500,
    creditsPerSecond: 16,
    source: '[sdk] prompt up to 3500; [docs] 16 cr/s; 4–15 s as seedance2 (not stated for the variant)',
  },
  seedance2_5: {
    seconds: { min: 4, max: 30 },
    promptMax: 15000,
    creditsPerSecond: 30,
    source: '[sdk] prompt up to 15000; [docs] 4–30 s, 30 cr/s at 720p',
  },
  gemini_omni_flash: {
    seconds: { min: 3, max: 10 },
    promptMax: 1000,
    creditsPerSecond: 10,
    source:
      '[sdk] "a whole number from 3 to 10"; [docs] 10 cr/s; prompt limit not stated (1000 assumed, as Runway\'s own models)',
  },
  'gemini_omni_flash_1.1': {
    seconds: { min: 3, max: 10 },
    promptMax: 1000,
    lastNeedsFirst: true,
    creditsPerSecond: 10,
    source:
      '[sdk] "between 3 and 10 seconds" or "auto", first frame and optional last; [docs] 3.4–30 cr/s by resolution (10 at 720p assumed)',
  },
  grok_imagine_1_5: {
    seconds: { min: 1, max: 15 },
    promptMax: 1000,
    creditsPerSecond: 16,
    source: '[docs] 1–15 s, 16 cr/s at 720p; prompt limit not stated (1000 assumed)',
  },
  wan3: {
    seconds: { min: 2, max: 30 },
    promptMax: 20000,
    keyframeRatios: ['auto_480p', 'auto_720p', 'auto_1080p'],
    creditsPerSecond: 10,
    source:
      '[sdk] keyframe requests "must use auto_480p, auto_720p, or auto_1080p"; [docs] up to 30 s, 10 cr/s at 720p; [model] 2–30 s, prompt up to 20000',
  },
  wan3_prime: {
    seconds: { min: 2, max: 30 },
    promptMax: 20000,
    keyframeRatios: ['auto_480p', 'auto_720p', 'auto_1080p'],
    creditsPerSecond: 14,
    source: '[sdk] as wan3; [docs] 14 cr/s at 720p',
  },
  h3_max: {
    seconds: { min: 5, max: 15 },
    promptMax: 7000,
    lastNeedsFirst: true,
    minImageSide: 256,
    creditsPerSecond: 8,
    source:
      '[sdk] "A last frame requires a first frame. Each image must be at least 256 pixels on both sides."; [docs] 5–15 s, 8 cr/s at 768p',
  },
};
