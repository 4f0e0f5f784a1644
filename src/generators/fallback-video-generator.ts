// The fallback chain: default_backend, then remote_api_settings.fallback_backend, then
// api_priority_order, each tried at most once per segment, so a chain always ends, even between two
// failing backends. Every attempt and how it ended goes to the job log. Retrying inside one backend (429, 5xx, network) is that backend's own business;
// the chain only moves on once a backend has given up.
import { CanceledError } from '../errors/canceled-error.js';
import { GenerationError } from '../errors/generation-error.js';
import { isOutOfSpace } from '../errors/disk-full-error.js';
import { TtvError } from '../errors/ttv-error.js';
import { VendorError } from '../errors/vendor-error.js';
import { vendorFailureSentence } from '../errors/vendor-failure.js';
import { INTERNAL_ERROR_MESSAGE } from '../errors/client-error.js';
import { VendorOutcomeUnknownError } from '../errors/vendor-outcome-unknown-error.js';
import type { ProbeResult } from '../media/ffmpeg.js';
import { TaskGoneError } from '../errors/task-gone-error.js';
import { AllBackendsFailedError } from '../errors/all-backends-failed-error.js';
import { abandonsTask, cannotStopMessage } from './remote/vendor-task.js';

export { cannotStopMessage } from './remote/vendor-task.js';
import type {
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VendorTaskRecord,
  VideoGenerator,
} from './types.js';

/** A backend of the chain: built on first use, so a misconfigured fallback only matters if reached. */
export interface ChainMember {
  id: string;
  create: () => VideoGenerator;
}

/** Checks a finished clip (e.g. probes it); throws when the clip is unusable, else may return its probe. */
export type ClipCheck = (path: string, signal: AbortSignal) => Promise<ProbeResult | undefined>;

/** A message without its leading "id: " (backend errors name their backend; the chain does too). */
export function withoutBackendPrefix(id: string, message: string): string {
  return message.startsWith(`${id}: `) ? message.slice(id.length + 2) : message;
}

/** Auth and config failures will not change within a job: such a backend is skipped afterwards. */
function disablesBackend(err: unknown): boolean {
  if (err instanceof VendorError) return err.status === 401 || err.status === 403;
  return err instanceof GenerationError && err.failure === 'config';
}

export class FallbackVideoGenerator implements VideoGenerator {
  private readonly built = new Map<string, VideoGenerator | Error>();
  private readonly disabled = new Map<string, { full: string; shown: string }>();
  /** Set once a create's outcome is unknown: the job stops, no segment is tried anywhere after it. */
  private outcomeUnknown: Error | null = null;

  constructor(
    private readonly members: ChainMember[],
    private readonly checkClip?: ClipCheck,
  ) {
    if (members.length === 0) throw new Error('FallbackVideoGenerator needs at least one backend');
  }

  get id(): string {
    return this.members[0]!.id;
  }

  /** The ids in the order they are tried. */
  get order(): string[] {
    return this.members.map((m) => m.id);
  }

  private backend(member: ChainMember): VideoGenerator | Error {
    let entry = this.built.get(member.id);
    if (!entry) {
      try {
        entry = member.create();
      } catch (err) {
        entry = err instanceof Error ? err : new Error(String(err));
      }
      this.built.set(member.id, entry);
    }
    return entry;
  }

  /** The primary backend; its construction error (a config problem) is thrown as is. */
  primary(): VideoGenerator {
    const first = this.backend(this.members[0]!);
    if (first instanceof Error) throw first;
    return first;
  }

  capabilities(): GeneratorCapabilities {
    return this.primary().capabilities();
  }

  /** Valid when some backend of the chain accepts the request; otherwise every backend's problems. */
  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const problems: string[] = [];
    // With one backend, its own words; with several, each prefixed by whose they are.
    const tag = (id: string, text: string) =>
      this.members.length > 1 ? `${id}: ${withoutBackendPrefix(id, text)}` : text;
    for (const member of this.members) {
      const backend = this.backend(member);
      if (backend instanceof Error) {
        problems.push(tag(member.id, backend.message));
        continue;
      }
      const own = backend.validate(request);
      if (own.length === 0) return [];
      problems.push(tag(member.id, own.join('; ')));
    }
    return problems;
  }

  estimateCost(durationSeconds: number): number {
    return this.primary().estimateCost(durationSeconds);
  }

  /** The chain's backend that created `task`, when it is configured (and buildable) in this run. */
  private owner(task: VendorTaskRecord): VideoGenerator | null {
    const member = this.members.find((m) => m.id === task.backend);
    const backend = member ? this.backend(member) : null;
    return backend instanceof Error ? null : backend;
  }

  /** Sends the cancel of the backend that created `task`; where it has none, says what may still bill. */
  async cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> {
    const backend = this.owner(task);
    if (backend?.cancelTask) return backend.cancelTask(task, log);
    log?.(cannotStopMessage(task, backend));
  }

  /**
   * A segment whose task an earlier attempt recorded: the backend that created it re-attaches (when
   * it can); a task the vendor no longer knows, or a backend that cannot re-attach, gets a new one.
   */
  private async attempt(
    backend: VideoGenerator,
    request: GenerateRequest,
    hooks: GenerateHooks,
  ): Promise<GenerateResult> {
    const recorded = hooks.task?.recorded;
    if (
      recorded &&
      recorded.backend === backend.id &&
      recorded.model === (backend.configuredModel?.row.id ?? recorded.model) &&
      backend.resume
    ) {
      try {
        return await backend.resume(recorded, request, hooks);
      } catch (err) {
        if (!(err instanceof TaskGoneError)) throw err;
        hooks.log?.(`${err.message}; creating a new one`);
      }
    }
    let created: VendorTaskRecord | undefined;
    const task = hooks.task
      ? {
          sending: hooks.task.sending,
          record: async (t: VendorTaskRecord) => {
            created = t;
            await hooks.task!.record(t);
          },
        }
      : undefined;
    try {
      return await backend.generate(request, { ...hooks, task });
    } catch (err) {
      // A task left running where the vendor documents no cancel: the job log says what it may bill.
      if (created && !backend.cancelTask && abandonsTask(err, hooks.signal))
        hooks.log?.(cannotStopMessage(created, backend));
      throw err;
    }
  }

  /** The clip of the first backend that makes a usable one; its costUsd sums every attempt that produced a clip, a rejected one included. */
  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const log = hooks.log ?? (() => undefined);
    // Every failure twice: in full for the job log and the operator, and as a client may read it
    // (a vendor's own text replaced by ttv's sentence, see errors/vendor-failure.ts).
    const failures: { full: string; shown: string }[] = [];
    const subject = `segment ${request.segment}`;
    let costUsd = 0;
    if (this.outcomeUnknown) throw this.outcomeUnknown;
    // A task recorded by an earlier attempt is re-attached first, whichever backend of the chain made it.
    const recordedBy = hooks.task?.recorded?.backend;
    const members =
      recordedBy && this.members.some((m) => m.id === recordedBy)
        ? [...this.members.filter((m) => m.id === recordedBy), ...this.members.filter((m) => m.id !== recordedBy)]
        : this.members;
    for (const [index, member] of members.entries()) {
      if (hooks.signal.aborted) throw new CanceledError();
      const tag = `Segment ${request.segment}: ${member.id}`;
      const skipped = this.disabled.get(member.id);
      if (skipped) {
        log(`${tag} skipped: it failed for good earlier in this job (${skipped.full})`);
        failures.push({
          full: `${member.id}: skipped (${skipped.full})`,
          shown: `${member.id}: skipped (${skipped.shown})`,
        });
        continue;
      }
      const backend = this.backend(member);
      if (backend instanceof Error) {
        const text = withoutBackendPrefix(member.id, backend.message);
        log(`${tag} unavailable: ${text}`);
        failures.push({ full: `${member.id}: ${text}`, shown: `${member.id}: ${text}` });
        continue;
      }
      const problems = backend.validate(request);
      if (problems.length) {
        log(`${tag} cannot take this segment: ${problems.join('; ')}`);
        failures.push({ full: `${member.id}: ${problems.join('; ')}`, shown: `${member.id}: ${problems.join('; ')}` });
        continue;
      }
      log(`${tag} attempt started${index > 0 ? ' (fallback)' : ''}`);
      try {
        const made = await this.attempt(backend, request, hooks);
        // Each clip is priced by the backend that made it, whether or not the check keeps it.
        costUsd += made.costUsd;
        const probe = (await this.checkClip?.(made.path, hooks.signal)) ?? made.probe;
        log(`${tag} attempt succeeded`);
        return { path: made.path, costUsd, ...(probe ? { probe } : {}) };
      } catch (err) {
        if (err instanceof CanceledError || hooks.signal.aborted)
          throw err instanceof CanceledError ? err : new CanceledError();
        const reason = err instanceof Error ? err.message : String(err);
        log(`${tag} attempt failed: ${withoutBackendPrefix(member.id, reason)}`);
        // Our disk is full: not the backend's fault, and the next backend's clip would not fit either
        // (nor should it be paid for). The job goes back to the queue (worker.ts).
        if (isOutOfSpace(err)) throw err;
        if (err instanceof VendorOutcomeUnknownError) {
          // The first task may be running and billing: no fallback, no other segment; the job fails.
          log(`${tag}: no fallback for this job, since the vendor may be rendering (and billing) the segment`);
          this.outcomeUnknown = new TtvError(`Segment ${request.segment} failed: ${reason}`, {
            code: 'VendorOutcomeUnknownError',
            retryable: false,
            cause: err,
          });
          throw this.outcomeUnknown;
        }
        const full = reason.startsWith(`${member.id}:`) ? reason : `${member.id}: ${reason}`;
        const sentence = vendorFailureSentence(err, 'video', member.id, subject);
        const own = withoutBackendPrefix(
          member.id,
          err instanceof TtvError ? (err.publicMessage ?? INTERNAL_ERROR_MESSAGE) : reason,
        );
        const failure = { full, shown: sentence ?? `${member.id}: ${own}` };
        failures.push(failure);
        if (disablesBackend(err)) this.disabled.set(member.id, failure);
      }
    }
    const single = this.members.length === 1;
    const message = (texts: string[]) =>
      single
        ? `Segment ${request.segment} failed: ${texts[0]}`
        : `Segment ${request.segment} failed on every backend (${this.order.join(' → ')}): ${texts.join('; ')}`;
    const shown = failures.map((f) => f.shown);
    // A lone vendor sentence stands as it is; inside a list it loses its full stop.
    const publicMessage =
      single && shown[0]!.startsWith('The video vendor') ? shown[0]! : message(shown.map((t) => t.replace(/\.$/, '')));
    throw new AllBackendsFailedError(message(failures.map((f) => f.full)), { publicMessage });
  }
}
