// What a client reads when a vendor fails: ttv's own sentence ("The video vendor (runway) refused
// segment 2: content policy."), never the vendor's text. Vendors write their failure texts for
// integrators, not end users (Runway's Failed.failure: "We do not recommend returning this to users
// directly without adding context"), and the codes beside them (SAFETY.INPUT.TEXT, invalid_api_key)
// are diagnostics. The full text goes to the job log (redacted, like every job log line) where the
// failure happened; the job's `error`, /v1/videos error objects and webhooks carry the sentence.
import { GenerationError } from './generation-error.js';
import { ImageRefusedError } from './image-refused-error.js';
import { VendorError } from './vendor-error.js';

export type VendorRole = 'video' | 'image' | 'planning';

/** ttv's words for an HTTP status a vendor answered with. */
function statusPhrase(status: number): string {
  if (status === 401 || status === 403) return 'credentials rejected';
  if (status === 429) return 'rate limited';
  if (status >= 500) return 'vendor-side error';
  return 'request refused';
}

/**
 * ttv's sentence for a vendor failure about `subject` ("segment 2", "keyframe 3", "the plan"), or
 * null when the error holds no vendor text (ttv's own messages, such as a timeout or a truncated
 * download, stand as they are).
 */
export function vendorFailureSentence(err: unknown, role: VendorRole, vendor: string, subject: string): string | null {
  const who = `The ${role} vendor (${vendor})`;
  if (err instanceof GenerationError) {
    if (err.failure === 'refused') return `${who} refused ${subject}: content policy.`;
    if (err.failure === 'failed') return `${who} failed to render ${subject}.`;
    if (err.failure === 'no-output')
      return `${who} returned no ${role === 'video' ? 'video' : 'image'} for ${subject}.`;
    // The others (timeout, download, config, …) are ttv's own words; their public message holds no vendor text.
    return null;
  }
  if (err instanceof ImageRefusedError) return `${who} refused ${subject}: content policy.`;
  if (err instanceof VendorError && err.status !== null && err.fromVendor) {
    // An error inside a 2xx answer (MiniMax's base_resp): no HTTP status to speak of.
    if (err.status < 300) return `${who} reported an error for ${subject}.`;
    return `${who} answered HTTP ${err.status} for ${subject} (${statusPhrase(err.status)}).`;
  }
  return null;
}
