// The hash of what a segment is made from: the same hash in a later attempt means its recorded
// vendor task or finished clip is still the right one; another hash means the inputs changed.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { GenerateRequest } from '../../generators/types.js';

/**
 * A frame's part of the hash: its bytes when it is a regular file. Anything else (a FIFO, a
 * device) is not read here, where no deadline applies: it is named instead, and the generator's
 * own reading of it (ffmpeg, under its deadline) decides what happens.
 */
async function frameDigest(frame: string | undefined): Promise<string> {
  if (!frame) return '-';
  const info = await stat(frame);
  if (!info.isFile()) return `not-a-regular-file:${frame}`;
  return createHash('sha256')
    .update(await readFile(frame))
    .digest('hex');
}

export async function segmentInputsHash(
  request: Omit<GenerateRequest, 'outputPath' | 'lastFrameOutput' | 'segment'>,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([request.prompt, request.durationSeconds, request.aspectRatio ?? null]));
  for (const frame of [request.firstFrame, request.lastFrame]) hash.update(await frameDigest(frame));
  return hash.digest('hex');
}
