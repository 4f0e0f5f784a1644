// Stage 3: the video segments, generated as the mode says; progress inside the stage only grows.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SegmentRecord, VendorTaskRecord } from '../../jobs/segment-records.js';
import type { GenerateResult, SegmentTaskHooks } from '../../generators/types.js';
import { segmentInputsHash } from './segment-inputs-hash.js';
import { SegmentRecordWriter } from './segment-record-writer.js';
import { throwIfAborted } from '../../errors/canceled-error.js';
import { TtvError } from '../../errors/ttv-error.js';
import { VendorOutcomeUnknownError } from '../../errors/vendor-outcome-unknown-error.js';
import type { ProbeResult } from '../../media/ffmpeg.js';
import type { Plan } from '../../planning/types.js';
import { countNoun } from '../../text/count-noun.js';
import { fireAndForget } from '../fire-and-forget.js';
import type { Frames, GenerationMode, SegmentClip } from '../modes/generation-mode.js';
import { MILESTONES, segmentProgress } from '../progress.js';
import { pad, type StageContext } from './stage-context.js';

/** How long a create waits for its in-flight mark to be stored (the writer's own patience is shorter). */
const SENDING_PATIENCE_MS = 10_000;

/** A failed create whose task may exist (the fallback chain wraps the vendor's error under its code). */
function isOutcomeUnknown(err: unknown): boolean {
  return (
    err instanceof VendorOutcomeUnknownError || (err instanceof TtvError && err.code === 'VendorOutcomeUnknownError')
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}

/** How long the stage waits, after the last segment, for records a stalled store has not taken yet. */
const RECORD_SETTLE_MS = 10_000;

/** The clips in plan order, with their probes and what they cost. */
export interface Segments {
  clips: SegmentClip[];
  costUsd: number;
}

export async function segmentsStage(
  { run, parts, framesDir, videosDir }: StageContext,
  plan: Plan,
  mode: GenerationMode,
  frames: Frames,
): Promise<Segments> {
  const { reporter, signal, config } = run;
  const { generator, ffmpeg } = parts;
  const seconds = config.segment_duration_seconds;
  const total = plan.segments.length;
  throwIfAborted(signal);
  await reporter.progress(MILESTONES.segments.progress, 'segments', `Generating ${countNoun(total, 'video segment')}`);
  const clips: SegmentClip[] = new Array<SegmentClip>(total);
  let costUsd = 0;
  const fractions = new Array<number>(total).fill(0);
  // Parallel lanes report clip fractions, completions report counts; whichever is further ahead wins.
  let lastReported: number = MILESTONES.segments.progress;
  const report = () => {
    const p = segmentProgress(fractions.reduce((a, b) => a + b, 0) / total);
    if (p > lastReported) {
      lastReported = p;
      fireAndForget(() => reporter.progress(p, 'segments'));
    }
  };
  let completed = 0;
  const ledger = run.segments;
  const records = new Map<number, SegmentRecord>(((await ledger?.records()) ?? []).map((r) => [r.segment, r]));
  const log = (m: string) => fireAndForget(() => reporter.log(m));
  const writers: SegmentRecordWriter[] = [];
  /** A kept clip copied into the attempt's dir: from the artifact store or the data dir; false when gone. */
  const reuseClip = async (
    segment: number,
    clip: NonNullable<SegmentRecord['clip']>,
    outputPath: string,
  ): Promise<boolean> => {
    if (clip.key) {
      if (!ledger?.store) return false; // kept in a bucket this worker is not configured with
      try {
        return await ledger.store.read(clip.key, outputPath, signal);
      } catch (err) {
        throwIfAborted(signal);
        log(
          `Segment ${segment}: its kept clip could not be read (${err instanceof Error ? err.message : String(err)})`,
        );
        return false;
      }
    }
    if (!clip.path || !(await isFile(clip.path))) return false;
    await copyFile(clip.path, outputPath);
    return true;
  };
  /** Keeps a finished clip until the job ends: in the artifact store when it is remote, else in the data dir. */
  const keepClip = async (segment: number, path: string): Promise<{ key: string } | { path: string } | null> => {
    if (!ledger) return null;
    const name = basename(path);
    try {
      // The dir also marks, for this worker's sweeps, a job whose kept clips are in the artifact store.
      await mkdir(ledger.dir, { recursive: true, mode: 0o700 });
      if (ledger.store) return { key: await ledger.store.keep(path, name, signal) };
      const kept = join(ledger.dir, name);
      await copyFile(path, kept);
      return { path: kept };
    } catch (err) {
      throwIfAborted(signal);
      log(
        `Segment ${segment}: its finished clip could not be kept for reuse (${err instanceof Error ? err.message : String(err)}); this attempt goes on`,
      );
      return null;
    }
  };
  const segment = async (
    index: number,
    firstFrame: string | undefined,
    lastFrame: string | undefined,
    lastFrameOutput?: string,
  ): Promise<SegmentClip> => {
    throwIfAborted(signal);
    const s = plan.segments[index]!;
    const outputPath = join(videosDir, `segment_${pad(s.segment)}.mp4`);
    const request = {
      prompt: s.videoPrompt,
      durationSeconds: seconds,
      outputPath,
      segment: s.segment,
      firstFrame,
      lastFrame,
      lastFrameOutput,
      aspectRatio: config.video_aspect_ratio,
    };
    const hooks = {
      signal,
      onProgress: (fraction: number) => {
        fractions[index] = fraction;
        report();
      },
      log,
    };
    let made: GenerateResult;
    if (!ledger) {
      made = await generator.generate(request, hooks);
    } else {
      const requestHash = await segmentInputsHash(request);
      const earlier = records.get(s.segment);
      const same = earlier?.requestHash === requestHash;
      if (earlier?.task && !same && !earlier.clip) {
        // Inputs changed (a new plan or frames): the earlier task renders something no longer wanted.
        log(`Segment ${s.segment}: the inputs changed since task ${earlier.task.taskId} was created; cancelling it`);
        await generator.cancelTask?.(earlier.task, log);
      }
      const reused = same && earlier.clip ? await reuseClip(s.segment, earlier.clip, outputPath) : false;
      if (same && earlier.clip && reused) {
        log(
          `Segment ${s.segment}: reused the clip an earlier attempt finished (${earlier.task ? `${earlier.task.backend} task ${earlier.task.taskId}` : 'no vendor task'}; not paid again)`,
        );
        made = { path: outputPath, costUsd: earlier.clip.costUsd };
      } else {
        if (same && earlier.sending && !earlier.task) {
          // An earlier attempt sent this create and ended (a crash) before it recorded the answer: the
          // vendor may be rendering, and billing, that task, and none of today's vendors can find it.
          throw new VendorOutcomeUnknownError(
            earlier.sending.backend,
            `was in flight when an earlier attempt of this job ended (sent at ${earlier.sending.at})`,
          );
        }
        let task: VendorTaskRecord | undefined = same ? earlier?.task : undefined;
        const writer = new SegmentRecordWriter((r) => ledger.record(r), log);
        writers.push(writer);
        let sent = false;
        const taskHooks: SegmentTaskHooks = {
          recorded: task,
          // Stored before the create is sent (bounded: a stalled store delays the create, it does not
          // stop it; the mark then only lands late), so a crash mid-create is never paid twice.
          sending: async (backend, model) => {
            sent = true;
            await writer.record({
              segment: s.segment,
              requestHash,
              sending: { backend, model, at: new Date().toISOString() },
            });
            if (!writer.written) await writer.settle(SENDING_PATIENCE_MS);
          },
          // Returns once stored, or once the store failed it (then retried while the task is polled);
          // throws only when the job is no longer this attempt's (the generator then cancels the task).
          record: async (t) => {
            task = t;
            await writer.record({ segment: s.segment, requestHash, task: t });
          },
        };
        try {
          made = await generator.generate(request, { ...hooks, task: taskHooks });
        } catch (err) {
          // A create refused for a known reason made nothing: a later attempt may send it again.
          if (sent && !task && !signal.aborted && !isOutcomeUnknown(err))
            await writer.record({ segment: s.segment, requestHash }).catch(() => undefined);
          throw err;
        }
        // Kept outside the attempt's scratch dir until the job ends, so a later attempt reuses it.
        // Best effort: the clip is made and this attempt goes on with it whatever the store says; an
        // unkept or unrecorded clip only means that a later attempt (after a crash) fetches it from the
        // vendor task again, or renders the segment again.
        const clip = await keepClip(s.segment, made.path);
        if (clip) {
          try {
            await writer.record({
              segment: s.segment,
              requestHash,
              ...(task ? { task } : {}),
              clip: { ...clip, costUsd: made.costUsd },
            });
          } catch (err) {
            log(
              `Segment ${s.segment}: its finished clip could not be recorded for reuse (${err instanceof Error ? err.message : String(err)}); this attempt goes on`,
            );
          }
        }
      }
    }
    costUsd += made.costUsd;
    // A clip is probed as soon as it exists (unless the generator already did), while the next one
    // is generated, so that the stitch stage only has to join them.
    const probe: Promise<ProbeResult> = made.probe ? Promise.resolve(made.probe) : ffmpeg.probe(made.path, { signal });
    probe.catch(() => undefined); // awaited at stitching; avoid an unhandled rejection meanwhile
    const clip = { segment: s.segment, path: made.path, probe };
    clips[index] = clip;
    fractions[index] = 1;
    completed += 1;
    lastReported = Math.max(lastReported, segmentProgress(completed / total));
    await reporter.progress(lastReported, 'segments', `Segment ${s.segment}/${total} generated`);
    return clip;
  };
  try {
    await mode.runSegments({ total, framesDir, segment }, frames);
    // Records the store failed are worth a bounded wait: they spare a later attempt a paid task.
    if (!writers.every((w) => w.written)) {
      const settled = await Promise.all(writers.map((w) => w.settle(RECORD_SETTLE_MS)));
      if (settled.includes(false))
        log(
          `Some segment records could not be stored in ${RECORD_SETTLE_MS / 1000} s; this attempt goes on without them (a crash now would render those segments again)`,
        );
    }
  } finally {
    for (const w of writers) w.stop();
  }
  return { clips, costUsd };
}
