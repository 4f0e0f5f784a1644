// What MiniMax's Video Generation V2 create endpoint accepts, per model, written from its reference
// rather than from ttv's catalog, so the fake is an independent witness. Sources, read 2026-12-06:
// [cli] MiniMax's official CLI, github.com/MiniMax-AI/cli (src/types/api.ts VideoV2Request,
//       VideoV2ContentItem; src/video/v2.ts validateVideoV2Request) — official, high confidence;
// [ref] platform.minimax.io/docs/api-reference/video-generation-v2-create as transcribed in a public
//       review dated 2026-10-07 (each fact re-checked against the page there) — medium-high;
// [third] public integration notes (H3-Max ranges) — medium.
// Best public description where no official source was found: the H3-Max duration range (5–15 s),
// whether unknown top-level keys are refused (assumed yes, as the OpenAPI schema lists its fields),
// and the exact error texts (shape from [ref]: {type:"error", error:{type, message, http_code}}).

export interface MinimaxV2ModelRule {
  resolutions: string[];
  seconds: { min: number; max: number };
  /** Reference images/videos/audio allowed (H3 only). */
  references: boolean;
}

export const MINIMAX_V2_MODELS: Record<string, MinimaxV2ModelRule> = {
  // [cli] resolution '768P' | '2K' (older CLI builds: 2K only), duration 4–15, references.
  'MiniMax-H3': { resolutions: ['768P', '2K'], seconds: { min: 4, max: 15 }, references: true },
  // [ref][third] 480P | 768P, 5–15 s, text-to-video and first/last frames only.
  'MiniMax-H3-Max': { resolutions: ['480P', '768P'], seconds: { min: 5, max: 15 }, references: false },
};

/** [cli] VideoV2Ratio. */
export const MINIMAX_V2_RATIOS = ['adaptive', '21:9', '16:9', '4:3', '1:1', '3:4', '9:16'];

/** [cli] the prompt limit, and [ref] the whole body's. */
export const MINIMAX_V2_MAX_TEXT = 7000;
export const MINIMAX_V2_MAX_BODY_BYTES = 64 * 1024 * 1024;

const TOP_LEVEL = new Set(['model', 'content', 'resolution', 'duration', 'ratio', 'callback_url']);
const IMAGE_ROLES = new Set(['first_frame', 'last_frame', 'reference_image']);

/** [ref] an image location: a public URL, an uploaded file, or a data URI with a lower-case format. */
const isImageUrl = (u: unknown) =>
  typeof u === 'string' && /^(https?:\/\/|mm_file:\/\/\d+$|data:image\/(jpeg|jpg|png|webp|heic|heif);base64,)/.test(u);

/** What MiniMax would say of a V2 create body (empty when it accepts it). */
export function minimaxV2BodyIssues(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['body must be a JSON object'];
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !TOP_LEVEL.has(k));
  if (extra.length) return [`unknown field ${extra[0]}`];
  const rule = MINIMAX_V2_MODELS[String(b.model)];
  if (!rule)
    return [
      `model ${String(b.model)} is not supported by video generation v2 (${Object.keys(MINIMAX_V2_MODELS).join(', ')})`,
    ];
  const issues: string[] = [];
  if (!Array.isArray(b.content) || b.content.length === 0) return ['content must be a non-empty array'];
  const items = b.content as Record<string, unknown>[];
  const texts = items.filter((i) => i?.type === 'text');
  if (!texts.some((t) => typeof t.text === 'string' && t.text.trim()))
    issues.push(`${b.model} requires a non-empty text content item`);
  if (texts.some((t) => typeof t.text === 'string' && t.text.length > MINIMAX_V2_MAX_TEXT))
    issues.push(`text content must not exceed ${MINIMAX_V2_MAX_TEXT} characters`);
  const frames: string[] = [];
  let references = 0;
  for (const [i, item] of items.entries()) {
    const type = item?.type;
    if (type === 'text') {
      if (Object.keys(item).some((k) => k !== 'type' && k !== 'text'))
        issues.push(`content[${i}]: a text item has only type and text`);
    } else if (type === 'image_url') {
      const url = (item.image_url as { url?: unknown } | undefined)?.url;
      if (!isImageUrl(url))
        issues.push(
          `content[${i}].image_url.url must be a public URL, mm_file://{file_id} or data:image/<format>;base64,…`,
        );
      const role = item.role ?? 'first_frame';
      if (!IMAGE_ROLES.has(String(role)))
        issues.push(`content[${i}].role ${String(role)} is not one of first_frame, last_frame, reference_image`);
      if (role === 'reference_image') references += 1;
      else frames.push(String(role));
    } else if (type === 'video_url' || type === 'audio_url') {
      references += 1;
      if (item.role !== `reference_${type === 'video_url' ? 'video' : 'audio'}`)
        issues.push(`content[${i}].role must be reference_${type === 'video_url' ? 'video' : 'audio'}`);
    } else {
      issues.push(`content[${i}].type ${String(type)} is not one of text, image_url, video_url, audio_url`);
    }
  }
  if (frames.filter((f) => f === 'first_frame').length > 1 || frames.filter((f) => f === 'last_frame').length > 1)
    issues.push('at most one first frame and one last frame');
  if (frames.length > 0 && references > 0) issues.push('frame inputs and reference inputs cannot be used together');
  if (references > 0 && !rule.references)
    issues.push(`${b.model} takes no reference inputs (text and first/last frames only)`);
  if (!rule.resolutions.includes(String(b.resolution)))
    issues.push(`resolution ${String(b.resolution)} is not supported by ${b.model} (${rule.resolutions.join(', ')})`);
  const d = b.duration;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < rule.seconds.min || d > rule.seconds.max)
    issues.push(`duration must be an integer from ${rule.seconds.min} to ${rule.seconds.max} seconds for ${b.model}`);
  if (b.ratio !== undefined && !MINIMAX_V2_RATIOS.includes(String(b.ratio)))
    issues.push(`ratio must be one of ${MINIMAX_V2_RATIOS.join(', ')}`);
  const textOnly = items.every((i) => i?.type === 'text');
  if (textOnly && (b.ratio === undefined || b.ratio === 'adaptive'))
    issues.push('text-to-video requires a concrete ratio; adaptive is not supported');
  if (b.callback_url !== undefined && (typeof b.callback_url !== 'string' || !/^https?:\/\//.test(b.callback_url)))
    issues.push('callback_url must be a URL');
  return issues;
}
