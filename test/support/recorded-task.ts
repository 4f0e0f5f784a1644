// A generator run straight against a fake (no pipeline), keeping the vendor task it records before
// its first poll, so a test can re-attach to that task with resume() as a later attempt would.
import type { GenerateRequest, GenerateResult, VendorTaskRecord, VideoGenerator } from '../../src/generators/types.js';

export async function generateRecording(
  generator: VideoGenerator,
  request: GenerateRequest,
  log?: (line: string) => void,
): Promise<{ task: VendorTaskRecord; result: GenerateResult }> {
  let task: VendorTaskRecord | undefined;
  const result = await generator.generate(request, {
    signal: new AbortController().signal,
    log,
    task: {
      record: async (t) => {
        task = t;
      },
    },
  });
  if (!task) throw new Error(`${generator.id} finished without recording its vendor task`);
  return { task, result };
}

/** resume() with a fresh signal, as a later attempt on another worker calls it. */
export function resumeRecorded(
  generator: VideoGenerator,
  task: VendorTaskRecord,
  request: GenerateRequest,
  log?: (line: string) => void,
): Promise<GenerateResult> {
  if (!generator.resume) throw new Error(`${generator.id} cannot re-attach to a task`);
  return generator.resume(task, request, { signal: new AbortController().signal, log });
}
