// Decodes a still image with ffprobe to learn what it really is: its format, codec and dimensions,
// from one decoded frame rather than from its first bytes. The bytes go in on stdin (no temp file);
// the demuxer is forced from the file's signature and only the pipe protocol is allowed, so an
// "image" can never make ffprobe open another file or URL. The decoder's own pixel cap
// (-max_pixels) refuses an oversized frame before allocating it: a 69-byte PNG header claiming
// 30000×30000 costs nothing. The run has a deadline (media.probe_timeout_seconds).
import type { ImageType } from '../config/schema.js';
import { CanceledError } from '../errors/canceled-error.js';
import { ProcessError } from '../errors/process-error.js';
import { ProcessTimeoutError } from '../errors/process-timeout-error.js';
import { runProcess } from './process-runner.js';

export interface ImageLimits {
  types: readonly ImageType[];
  maxWidth: number;
  maxHeight: number;
  maxPixels: number;
}

export interface ImageProbeTool {
  ffprobePath: string;
  graceMs: number;
  probeTimeoutMs: number;
}

export type ImageVerdict =
  | { ok: true; type: ImageType; width: number; height: number }
  /** `problem` completes "<field> …", e.g. "could not be decoded as a PNG image". */
  | { ok: false; problem: string };

const NAMES: Record<ImageType, string> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };
const DEMUXER: Record<ImageType, string> = { png: 'png_pipe', jpeg: 'jpeg_pipe', webp: 'webp_pipe' };
const CODEC: Record<ImageType, string> = { png: 'png', jpeg: 'mjpeg', webp: 'webp' };

/** The type the file's signature claims, or null. */
export function signatureType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (
    bytes.length >= 12 &&
    Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' &&
    Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP'
  )
    return 'webp';
  return null;
}

function listTypes(types: readonly ImageType[]): string {
  const names = types.map((t) => NAMES[t]);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0]!;
}

interface ProbeJson {
  streams?: { codec_name?: string; width?: number; height?: number }[];
  frames?: { width?: number; height?: number }[];
}

export async function probeImage(
  bytes: Uint8Array,
  tool: ImageProbeTool,
  limits: ImageLimits,
  signal?: AbortSignal,
): Promise<ImageVerdict> {
  const allowed = `must be a ${listTypes(limits.types)} image`;
  const type = signatureType(bytes);
  if (!type || !limits.types.includes(type)) return { ok: false, problem: allowed };
  const bound = `${limits.maxWidth}×${limits.maxHeight} and ${limits.maxPixels} pixels (server.max_image_width, server.max_image_height, server.max_image_pixels)`;
  // The decoder refuses larger frames before allocating them. It counts its buffer, whose width and
  // height are padded for alignment (to 64 and 32 at most), so it gets that much room; the exact
  // caps are checked on the decoded frame below.
  const maxPixels =
    Math.min(limits.maxPixels, limits.maxWidth * limits.maxHeight) +
    64 * limits.maxHeight +
    32 * limits.maxWidth +
    2048;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await runProcess(
      tool.ffprobePath,
      [
        '-v',
        'error',
        '-max_pixels',
        String(maxPixels),
        '-protocol_whitelist',
        'pipe',
        '-f',
        DEMUXER[type],
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height:frame=width,height',
        '-read_intervals',
        '%+#1',
        '-of',
        'json',
        '-i',
        'pipe:0',
      ],
      {
        stdin: bytes,
        signal,
        graceMs: tool.graceMs,
        timeoutMs: tool.probeTimeoutMs,
        timeoutSource: 'media.probe_timeout_seconds',
      },
    ));
  } catch (err) {
    if (err instanceof CanceledError) throw err;
    if (err instanceof ProcessTimeoutError)
      return { ok: false, problem: `could not be decoded within ${tool.probeTimeoutMs / 1000} s` };
    // A spawn failure (no ffprobe) is the server's problem, not the image's.
    if (err instanceof ProcessError && err.exitCode === null && err.signal === null) throw err;
    return { ok: false, problem: `could not be decoded as a ${NAMES[type]} image` };
  }
  let json: ProbeJson;
  try {
    json = JSON.parse(stdout) as ProbeJson;
  } catch {
    return { ok: false, problem: `could not be decoded as a ${NAMES[type]} image` };
  }
  const stream = json.streams?.[0];
  const frame = json.frames?.[0];
  if (stream?.codec_name !== CODEC[type]) return { ok: false, problem: allowed };
  const width = Number(frame?.width ?? 0);
  const height = Number(frame?.height ?? 0);
  if (!(width > 0 && height > 0)) {
    // The decoder names the size it refused ("Picture size 30000x30000 is invalid" / "exceeds …").
    const refused = /Picture size (\d+)x(\d+)/.exec(stderr);
    if (refused) return { ok: false, problem: `is ${refused[1]}×${refused[2]} pixels; at most ${bound}` };
    return { ok: false, problem: `could not be decoded as a ${NAMES[type]} image` };
  }
  if (width > limits.maxWidth || height > limits.maxHeight || width * height > limits.maxPixels) {
    return { ok: false, problem: `is ${width}×${height} pixels; at most ${bound}` };
  }
  return { ok: true, type, width, height };
}
