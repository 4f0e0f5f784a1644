// The hash of what a segment is made from: the same hash in a later attempt means its recorded
// vendor task or finished clip is still the right one; another hash means the inputs changed.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { GenerateRequest } from '../../generators/types.js';

export async function segmentInputsHash(request: Omit<GenerateRequest, 'outputPath' | 'lastFrameOutput' | 'segment'>): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([request.prompt, request.durationSeconds, request.aspectRatio ?? null]));
  for (const frame of [request.firstFrame, request.lastFrame]) {
    hash.update(frame ? createHash('sha256').update(await readFile(frame)).digest('hex') : '-');
  }
  return hash.digest('hex');
}
