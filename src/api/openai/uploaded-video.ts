// An uploaded video (the `video` file of POST /v1/videos/extensions) checked before a job is made of
// it: within server.max_image_bytes (the cap of every uploaded file; the large body limit is given
// only to keys allowed the `image` option), and an MP4/MOV with a video stream of some length, as
// ffprobe reads it with the mov demuxer forced and the file protocol only, under
// media.probe_timeout_seconds. Anything else is a 400 with param `video`.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../config/schema.js';
import { ProcessTimeoutError } from '../../errors/process-timeout-error.js';
import { Ffmpeg } from '../../media/ffmpeg.js';
import { ApiError } from '../../errors/api-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { UploadedSource } from './derived-video-request.js';

/** Frames wider or taller than this are refused (the pipeline renders at most 3840x2160). */
const MAX_SIDE = 4096;

export async function probeUploadedVideo(bytes: Buffer, config: AppConfig): Promise<UploadedSource> {
  const cap = config.server.max_image_bytes;
  if (bytes.length > cap) {
    throw new ApiError(
      'PayloadTooLarge',
      `The uploaded video is ${bytes.length} bytes; at most ${cap} (server.max_image_bytes)`,
      { field: 'video', max_size: cap },
    );
  }
  const notVideo = (why: string) =>
    new ValidationError([{ field: 'video', message: `is not a readable MP4 video (${why})` }]);
  const dir = await mkdtemp(join(tmpdir(), 'ttv-upload-'));
  try {
    const file = join(dir, 'upload.mp4');
    await writeFile(file, bytes, { mode: 0o600 });
    let probe;
    try {
      probe = await Ffmpeg.fromConfig(config).probe(file, { format: 'mov' });
    } catch (err) {
      if (err instanceof ProcessTimeoutError) throw notVideo('reading it took longer than media.probe_timeout_seconds');
      throw notVideo('ffprobe could not read it as MP4');
    }
    const video = probe.video;
    if (!video) throw notVideo('it has no video stream');
    const seconds = probe.durationSeconds || video.durationSeconds;
    if (!(video.width > 0 && video.height > 0) || video.width > MAX_SIDE || video.height > MAX_SIDE)
      throw notVideo(`its frame size ${video.width}x${video.height} is outside 1x1..${MAX_SIDE}x${MAX_SIDE}`);
    if (!(seconds > 0)) throw notVideo('it has no duration');
    return {
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      width: video.width,
      height: video.height,
      seconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
