// Veo through predictLongRunning, with the official @google/genai (models.generateVideos,
// operations.getVideosOperation; Vertex on the SDK's default v1beta1).
// Vertex AI: POST …/publishers/google/models/{model}:predictLongRunning starts an operation,
// POST …:fetchPredictOperation polls it; the clip comes back inline (bytesBase64Encoded) or, with
// outputGcsUri, as a gs:// object. Gemini API: POST /v1beta/models/{model}:predictLongRunning,
// GET /v1beta/{operation}; the sample's video.uri is a Files API URI. Neither API documents a cancel
// for video operations (nor has the SDK one): an abandoned operation runs on (see the backend).
import type { GenerateVideosConfig, GenerateVideosOperation, GenerateVideosParameters } from '@google/genai';
import { GenerationError } from '../../errors/generation-error.js';
import { pollTask } from '../remote/poll-task.js';
import type { SdkRun } from './google-genai-session.js';
import type { GoogleVideo } from './google-video-file.js';
import type { PollSettings } from './omni-interaction.js';
import { redactedClip } from '../../logging/redact.js';

export interface VeoClip {
  model: string;
  prompt: string;
  durationSeconds: number;
  aspectRatio: string;
  resolution?: string;
  firstFrame?: { imageBytes: string; mimeType: string };
  lastFrame?: { imageBytes: string; mimeType: string };
  /** Vertex AI only (the SDK refuses it on the Gemini API). */
  generateAudio?: boolean;
  /** Vertex AI only: a gs:// folder for the output instead of inline bytes. */
  outputGcsUri?: string;
}

/** The generateVideos parameters of one clip: duration, aspect ratio and model always sent. */
export function veoRequest(clip: VeoClip): GenerateVideosParameters {
  const config: GenerateVideosConfig = {
    aspectRatio: clip.aspectRatio,
    durationSeconds: clip.durationSeconds,
    numberOfVideos: 1,
  };
  if (clip.resolution) config.resolution = clip.resolution;
  if (clip.lastFrame) config.lastFrame = clip.lastFrame;
  if (clip.generateAudio !== undefined) config.generateAudio = clip.generateAudio;
  if (clip.outputGcsUri) config.outputGcsUri = clip.outputGcsUri;
  return {
    model: clip.model,
    source: { prompt: clip.prompt, ...(clip.firstFrame ? { image: clip.firstFrame } : {}) },
    config,
  };
}

/** Starts the operation; gives it as the SDK returned it (polled with it). */
export async function startVeoOperation(
  run: SdkRun,
  clip: VeoClip,
): Promise<GenerateVideosOperation & { name: string }> {
  const params = veoRequest(clip);
  const started = await run((ai, signal) =>
    ai.models.generateVideos({ ...params, config: { ...params.config, abortSignal: signal } }),
  );
  if (!started?.name)
    throw new GenerationError('veo3', 'failed', 'predictLongRunning answered without an operation name');
  return started as GenerateVideosOperation & { name: string };
}

/** Polls the operation until done; gives its video, or throws why there is none. */
export async function awaitVeoVideo(
  run: SdkRun,
  started: GenerateVideosOperation,
  id: string,
  poll: PollSettings,
): Promise<GoogleVideo> {
  const op = await pollTask<GenerateVideosOperation>(
    async () => {
      const o = await run((ai, signal) =>
        ai.operations.getVideosOperation({ operation: started, config: { abortSignal: signal } }),
      );
      return o.done ? { done: true, value: o } : { done: false };
    },
    { backend: 'veo3', taskId: id, intervalMs: poll.intervalMs, deadline: poll.deadline, signal: poll.signal },
  );
  const error = op.error as { code?: number; message?: string } | undefined;
  // Google's own words (the error message, the safety reasons) stay out of what clients read (errors/vendor-failure.ts).
  if (error)
    throw new GenerationError('veo3', 'failed', `operation ${id} failed`, false, {
      vendorText: `${error.message ?? 'no reason given'} (code ${error.code ?? '?'})`,
    });
  const video = op.response?.generatedVideos?.[0]?.video;
  const filtered = op.response?.raiMediaFilteredCount ?? 0;
  const reasons = op.response?.raiMediaFilteredReasons ?? [];
  if (!video) {
    if (filtered > 0) {
      throw new GenerationError(
        'veo3',
        'refused',
        `operation ${id}: the clip was withheld by safety filters`,
        false,
        reasons.length ? { vendorText: redactedClip(reasons.join('; '), 200) } : {},
      );
    }
    throw new GenerationError('veo3', 'no-output', `operation ${id} finished without a video`);
  }
  return { base64: video.videoBytes, uri: video.uri };
}
