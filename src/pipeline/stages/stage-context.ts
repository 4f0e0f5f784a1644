// What every stage of one run sees: the run's context, its providers and where its files go.
import { join } from 'node:path';
import type { PipelineParts } from '../pipeline-parts.js';
import type { PipelineRunContext } from '../types.js';

export interface StageContext {
  run: PipelineRunContext;
  parts: PipelineParts;
  framesDir: string;
  videosDir: string;
}

export function stageContext(run: PipelineRunContext, parts: PipelineParts): StageContext {
  return { run, parts, framesDir: join(run.workDir, 'frames'), videosDir: join(run.workDir, 'videos') };
}

/** Two-digit segment numbers of the file names: segment_01.mp4, segment_02_last.png. */
export const pad = (n: number): string => String(n).padStart(2, '0');
