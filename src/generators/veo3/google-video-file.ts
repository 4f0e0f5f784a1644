// Writes the clip a Google video API handed back to the job's file: inline base64 (Vertex's
// bytesBase64Encoded, an interaction's video data), a Gemini Files API URI (downloaded with the key
// from google_veo.gemini_base_url, as the SDK does), or a gs:// object (Vertex storageUri, fetched
// through the Cloud Storage JSON API with the service-account token). Downloads are ttv's streamed,
// size-checked ones (the SDK's files.download checks neither size nor truncation).
import { writeFile } from 'node:fs/promises';
import { GenerationError } from '../../errors/generation-error.js';
import { trimTrailingSlashes } from '../../text/base-url.js';
import { downloadOptions, downloadVideo } from '../remote/download-video.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import type { GenerateHooks } from '../types.js';
import type { ServiceAccountToken } from './service-account-token.js';

/** Where a clip may come from, and what reaches it. */
export interface GoogleVideoAccess {
  geminiBase: string;
  apiKey?: string;
  storageEndpoint: string;
  oauth: ServiceAccountToken | null;
  /** Hosts a download may be redirected to over plain http (the configured endpoints). */
  trustedHosts: string[];
}

/** The video as the API described it: inline base64, or a URI. */
export interface GoogleVideo {
  base64?: string;
  uri?: string;
}

/**
 * The file id of a Gemini file URI (https://…/v1beta/files/{id}:download?alt=media), read the way
 * @google/genai reads it (tFileName: the first [a-z0-9]+ after "files/"): the clip is then fetched
 * from google_veo.gemini_base_url, as the SDK does, whatever host the URI names.
 */
export function geminiFileId(uri: string): string | null {
  if (!uri.startsWith('https://')) return null;
  const match = /[a-z0-9]+/.exec(uri.split('files/')[1] ?? '');
  return match ? match[0] : null;
}

/** Writes the clip to `outputPath`; `what` names the task in errors ("operation 123"). */
export async function saveGoogleVideo(
  video: GoogleVideo,
  what: string,
  outputPath: string,
  access: GoogleVideoAccess,
  settings: RemoteSettings,
  hooks: GenerateHooks,
): Promise<void> {
  const download = downloadOptions('veo3', settings, hooks, access.trustedHosts);
  if (video.base64) {
    const bytes = Buffer.from(video.base64, 'base64');
    if (bytes.length === 0 || bytes.length > settings.maxDownloadBytes)
      throw new GenerationError('veo3', 'download', `${what} returned a clip of ${bytes.length} bytes`);
    await writeFile(outputPath, bytes, { mode: 0o600 });
  } else if (video.uri?.startsWith('gs://')) {
    const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(video.uri);
    if (!match || !access.oauth) throw new GenerationError('veo3', 'no-output', `${what} returned an invalid gcsUri`);
    const url = `${trimTrailingSlashes(access.storageEndpoint)}/storage/v1/b/${encodeURIComponent(match[1]!)}/o/${encodeURIComponent(match[2]!)}?alt=media`;
    const token = await access.oauth.token(hooks.signal, settings.maxRetries, settings.retryBaseMs, hooks.log);
    await downloadVideo(url, outputPath, { ...download, headers: { authorization: `Bearer ${token}` } });
  } else if (video.uri) {
    const fileId = geminiFileId(video.uri);
    if (!fileId || !access.apiKey)
      throw new GenerationError('veo3', 'no-output', `${what} returned a video URI that is not a Gemini file`);
    await downloadVideo(
      `${trimTrailingSlashes(access.geminiBase)}/v1beta/files/${fileId}:download?alt=media`,
      outputPath,
      { ...download, headers: { 'x-goog-api-key': access.apiKey } },
    );
  } else {
    throw new GenerationError('veo3', 'no-output', `${what} returned a video without bytes or a URI`);
  }
}
