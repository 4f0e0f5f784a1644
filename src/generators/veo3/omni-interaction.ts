// Gemini Omni through Google's Interactions API, with the official @google/genai (2.32.0:
// interactions.create / get / cancel / delete; the request and response types named below are its).
// One clip is one background interaction: POST {version}/interactions with the prompt (and the
// first frame as an image block), the clip's format in response_format (type "video", aspect
// ratio, duration as a protobuf Duration "6s", resolution) and the task in
// generation_config.video_config; GET {version}/interactions/{id} until the status leaves
// queued/in_progress; the video is the model_output step's video block (the SDK's output_video),
// inline base64 or a URI for large outputs (on Vertex AI: a gs:// object under the request's gcs_uri,
// when google_veo.output_bucket asks for one). Background mode because a clip takes minutes: a
// synchronous create would hold one HTTP request open that long and could be neither polled
// against the deadline nor cancelled.
// Afterwards the interaction is deleted (ttv keeps the clip; Google need not keep the prompt and
// video), and one the job no longer wants is cancelled first (the SDK: cancel "only applies to
// background interactions that are still running"), so an abandoned clip stops costing money.
import type { GoogleGenAI, GoogleGenAIInteraction } from '@google/genai';
import { GenerationError } from '../../errors/generation-error.js';
import { pollTask } from '../remote/poll-task.js';
import type { SdkRun } from './google-genai-session.js';
import { redactedClip } from '../../logging/redact.js';

type CreateParams = Parameters<GoogleGenAI['interactions']['create']>[0];
/** The SDK's VideoContent: data (base64) or uri, and the mime type. */
export type VideoBlock = NonNullable<GoogleGenAIInteraction['output_video']>;

export interface OmniClip {
  model: string;
  prompt: string;
  durationSeconds: number;
  aspectRatio: string;
  resolution?: string;
  /** The first frame, base64 with its image mime type. */
  firstFrame?: { data: string; mimeType: string };
  /** Vertex AI only: a gs:// folder the clip is written to (delivery "uri"), instead of inline bytes. */
  gcsUri?: string;
}

/** Request options of every SDK call: the attempt's signal, and no SDK retries (ttv's policy retries). */
export const once = (signal: AbortSignal) => ({ signal, retries: { strategy: 'none' as const } });

/** Statuses of an interaction that is still running (InteractionStatus). */
const RUNNING = new Set(['queued', 'in_progress']);

/** The create body for one clip (CreateModelInteraction). */
export function omniRequest(clip: OmniClip): CreateParams {
  const input = clip.firstFrame
    ? [
        { type: 'text' as const, text: clip.prompt },
        { type: 'image' as const, data: clip.firstFrame.data, mime_type: clip.firstFrame.mimeType },
      ]
    : clip.prompt;
  return {
    model: clip.model,
    input,
    background: true,
    response_format: {
      type: 'video',
      aspect_ratio: clip.aspectRatio,
      duration: `${clip.durationSeconds}s`,
      ...(clip.resolution ? { resolution: clip.resolution } : {}),
      // VideoResponseFormat.gcs_uri: "Required for Vertex if delivery mode is URI".
      ...(clip.gcsUri ? { delivery: 'uri', gcs_uri: clip.gcsUri } : {}),
    },
    generation_config: { video_config: { task: clip.firstFrame ? 'image_to_video' : 'text_to_video' } },
  };
}

export interface PollSettings {
  intervalMs: number;
  deadline: number;
  signal: AbortSignal;
}

/** Starts the interaction; gives its id. */
export async function startInteraction(run: SdkRun, clip: OmniClip): Promise<string> {
  const started = await run(
    (ai, signal) => ai.interactions.create(omniRequest(clip), once(signal)) as Promise<GoogleGenAIInteraction>,
  );
  if (!started?.id)
    throw new GenerationError('veo3', 'failed', 'interactions.create answered without an interaction id');
  return started.id;
}

/** Polls the interaction until it ends; gives its video block, or throws why there is none. */
export async function awaitVideo(run: SdkRun, id: string, poll: PollSettings): Promise<VideoBlock> {
  const done = await pollTask<GoogleGenAIInteraction>(
    async () => {
      const interaction = await run(
        (ai, signal) => ai.interactions.get(id, undefined, once(signal)) as Promise<GoogleGenAIInteraction>,
      );
      return RUNNING.has(interaction.status) ? { done: false } : { done: true, value: interaction };
    },
    { backend: 'veo3', taskId: id, intervalMs: poll.intervalMs, deadline: poll.deadline, signal: poll.signal },
  );
  return videoOf(done);
}

/** The video of a finished interaction, or the GenerationError that says why it has none. */
export function videoOf(interaction: GoogleGenAIInteraction): VideoBlock {
  const { id, status } = interaction;
  if (status === 'completed') {
    const video = interaction.output_video;
    if (video && (video.data || video.uri)) return video;
    // A Gemini model that will not make the clip answers in words instead.
    const said = interaction.output_text?.trim();
    if (said)
      throw new GenerationError(
        'veo3',
        'refused',
        `interaction ${id} finished without a video; the model answered`,
        false,
        { vendorText: redactedClip(said, 200) },
      );
    throw new GenerationError('veo3', 'no-output', `interaction ${id} finished without a video`);
  }
  const stepError = interaction.steps.flatMap((s) =>
    s.type === 'model_output' && s.error?.message ? [s.error.message] : [],
  )[0];
  const why = interaction.errors?.find((e) => e.message)?.message ?? stepError;
  // Google's own words stay out of what clients read (errors/vendor-failure.ts).
  if (status === 'failed')
    throw new GenerationError('veo3', 'failed', `interaction ${id} failed`, false, {
      vendorText: why ?? 'no reason given',
    });
  throw new GenerationError(
    'veo3',
    'failed',
    `interaction ${id} ended with status ${status}`,
    false,
    why ? { vendorText: why } : {},
  );
}

const CLEANUP_TIMEOUT_MS = 10_000;

/**
 * Best effort, on its own short deadline and never thrown (the job's own outcome matters more):
 * cancels the interaction when the job no longer wants it, then deletes it.
 */
export async function endInteraction(
  ai: GoogleGenAI,
  id: string,
  cancel: boolean,
  log?: (message: string) => void,
): Promise<void> {
  const attempt = async (what: string, call: (signal: AbortSignal) => Promise<unknown>) => {
    try {
      await call(AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
      log?.(`veo3: ${what} of interaction ${id} done`);
    } catch (err) {
      const e = err as { status?: number; name?: string };
      log?.(
        `veo3: ${what} of interaction ${id} failed (${typeof e.status === 'number' ? `HTTP ${e.status}` : e.name === 'APIUserAbortError' ? 'timeout' : 'connection failed'})`,
      );
    }
  };
  if (cancel) await attempt('cancel', (signal) => ai.interactions.cancel(id, undefined, once(signal)));
  await attempt('delete', (signal) => ai.interactions.delete(id, undefined, once(signal)));
}
