// A worker: consumes jobs from the queue with the configured concurrency and runs each through the
// attempt handler. Used in-process by `ttv serve` and on its own by `ttv worker`.
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import { collectSecrets } from '../logging/redact.js';
import type { Consumer, ConsumerProblem, JobHandler, JobOutcome, JobQueue } from '../jobs/job-queue.js';
import { isTerminal } from '../jobs/job.js';
import type { Pipeline } from '../pipeline/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { createAttemptHandler } from './attempt-handler.js';
import { removeKeptClips } from '../storage/kept-clips.js';
import { dataDirGuard, type DiskGuard } from '../storage/disk-guard.js';
import { TtvError } from '../errors/ttv-error.js';
import { DiskFullError } from '../errors/disk-full-error.js';
import { AttemptProcessGroups, type ProcessGroupRecord } from './attempt-process-groups.js';
import { observeSpawns } from '../media/spawn-observer.js';

export interface WorkerOptions {
  config: AppConfig;
  queue: JobQueue;
  store: ArtifactStore;
  pipeline: Pipeline;
  logger?: Logger;
  concurrency?: number;
  /** Free-space check before each claim (worker.min_free_disk_mb); default: one of its own. */
  disk?: DiskGuard;
}

function endedMessage(group: ProcessGroupRecord): string {
  return `Ended process group ${group.pgid} left running by attempt ${group.attempt} (its worker stopped)`;
}

const WORK_DIR = /^job_([0-9a-f-]{36})_a(\d+)$/;

export class Worker {
  private consumer: Consumer | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  readonly tmpRoot: string;
  /**
   * Finished segments of unfinished jobs, kept across attempts (<data_dir>/segments/<job_id>/; with a
   * remote artifact store the clips are there and the dir marks the job for the sweeps).
   */
  readonly segmentsRoot: string;
  readonly processGroups: AttemptProcessGroups;
  private gateReason: string | null = null;
  private readonly disk: DiskGuard;

  constructor(private readonly options: WorkerOptions) {
    const dataDir = resolve(options.config.data_dir);
    this.tmpRoot = join(dataDir, 'tmp');
    this.segmentsRoot = join(dataDir, 'segments');
    this.disk = options.disk ?? dataDirGuard(options.config, dataDir);
    this.processGroups = new AttemptProcessGroups({
      dir: join(dataDir, 'run'),
      graceMs: options.config.worker.cancel_grace_seconds * 1000,
    });
  }

  /** Why this worker takes no new job now (low disk), or null; logged when it changes. */
  private gate(): string | null {
    const reason = this.disk.reason();
    if (reason !== this.gateReason) {
      if (reason) this.options.logger?.warn({ reason }, 'not taking new jobs');
      else this.options.logger?.info('taking jobs again');
      this.gateReason = reason;
    }
    return reason;
  }

  /**
   * A job store out of reach (below) and a full disk are not the job's fault. A full disk: the job goes back to the queue (its attempt counted, so a job
   * whose own output never fits still ends at worker.max_attempts) instead of failing. The guard's
   * cached reading is dropped, so this worker's next claim sees the full disk and waits (gate) until
   * space is back above worker.min_free_disk_mb; a worker with space may take the job meanwhile.
   * With the guard off (min_free_disk_mb: 0) nothing holds the retry back.
   */
  private handBackOn(err: unknown): string | null {
    if (!(err instanceof TtvError)) return null;
    // The job store was out of reach mid-attempt (a restart, a failover): not the job's fault either.
    // The next attempt finds the segments this one recorded, so no vendor second is paid twice.
    if (err.code === 'ServiceUnavailable')
      return `The job store could not be reached (${err.message}); the job goes back to the queue and runs again`;
    if (err.code !== 'DiskFull') return null;
    this.disk.forget();
    return `${err.message}; the job goes back to the queue and runs again once space is freed`;
  }

  /**
   * One attempt with its child processes recorded: first the groups an earlier attempt of the job
   * left alive on this host (a worker killed mid-run) are ended, so two models never run at once.
   */
  private async runAttempt(ctx: Parameters<JobHandler>[0], run: JobHandler): ReturnType<JobHandler> {
    const { id } = ctx.job;
    const ended = await this.processGroups.endEarlierAttempts(id, ctx.attempt);
    for (const group of ended) {
      await ctx.log(endedMessage(group));
    }
    try {
      return await observeSpawns(this.processGroups.observer(id, ctx.attempt), () => run(ctx));
    } finally {
      this.processGroups.settle(id, ctx.attempt);
    }
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    // Scratch files hold prompts, first frames and clips: private, also when an older version made the dir 0755.
    await mkdir(this.tmpRoot, { recursive: true, mode: 0o700 });
    await chmod(this.tmpRoot, 0o700);
    await this.sweepTempDirs();
    await this.sweepProcessGroups();
    const { config, queue, store, pipeline, logger } = this.options;
    const attemptHandler = createAttemptHandler({
      config,
      pipeline,
      store,
      tmpRoot: this.tmpRoot,
      secrets: collectSecrets(config),
      onError: (jobId, err) =>
        logger?.error({ err, jobId }, err instanceof DiskFullError ? 'job ran out of disk space' : 'job failed'),
      segments: { store: queue, root: this.segmentsRoot },
      dataDir: this.disk.dir,
    });
    // Webhooks follow the job journal in the API process (webhooks/webhook-dispatcher.ts).
    const handler: JobHandler = (ctx) => this.runAttempt(ctx, attemptHandler);
    const onSettled = (jobId: string) => void this.sweepJob(jobId);
    // A cancel that landed after the upload: the job is canceled, so its stored video must not stay.
    const onCanceledOutcome = async (jobId: string, outcome: JobOutcome) => {
      try {
        await store.delete(outcome.artifactKey);
        await queue
          .appendLog(jobId, 'Job canceled after its video was stored; the stored video was deleted')
          .catch(() => undefined);
      } catch (err) {
        logger?.error({ err, jobId }, 'could not delete the artifact of a job canceled after upload');
      }
    };
    this.consumer = queue.consume({
      concurrency: this.options.concurrency ?? config.worker.concurrency,
      handler,
      onSettled,
      onCanceledOutcome,
      gate: () => this.gate(),
      handBackOn: (err) => this.handBackOn(err),
    });
    // Attempts interrupted by a crash elsewhere leave dirs (and child processes on this host) that
    // become stale once recovery requeues them.
    this.sweeper = setInterval(
      () =>
        void this.sweepTempDirs()
          .then(() => this.sweepProcessGroups())
          .then(() => this.sweepSegmentDirs()),
      config.worker.lease_seconds * 1000,
    );
    this.sweeper.unref();
    logger?.info(
      { workerId: this.consumer.workerId, concurrency: this.options.concurrency ?? config.worker.concurrency },
      'worker started',
    );
  }

  /** The consumer's worker id once started. */
  get id(): string | null {
    return this.consumer?.workerId ?? null;
  }

  get running(): number {
    return this.consumer?.running ?? 0;
  }

  /** What keeps this worker from doing its work now (for /readyz), empty when nothing. */
  problems(): ConsumerProblem[] {
    return this.consumer?.problems() ?? [];
  }

  /** Stops taking jobs; running ones get `graceMs` to finish, then are handed back to the queue. */
  async stop(graceMs = this.options.config.worker.shutdown_grace_seconds * 1000): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    if (this.sweeper) clearInterval(this.sweeper);
    await consumer.close(graceMs);
    this.options.logger?.info({ workerId: consumer.workerId }, 'worker stopped');
  }

  /**
   * Ends recorded process groups on this host whose attempt is over for good: the job is gone, ended,
   * back in the queue or on a later attempt. A group whose attempt may still run elsewhere is left.
   */
  async sweepProcessGroups(): Promise<number> {
    let ended = 0;
    for (const record of this.processGroups.records()) {
      const job = await this.options.queue.get(record.job_id).catch(() => undefined);
      if (job === undefined) continue;
      const over = job === null || isTerminal(job.status) || job.status === 'queued' || job.attempts > record.attempt;
      if (over && (await this.processGroups.end(record))) {
        ended += 1;
        this.options.logger?.warn(
          { jobId: record.job_id, attempt: record.attempt, pgid: record.pgid },
          'ended a process group left by a stopped worker',
        );
        await this.options.queue.appendLog(record.job_id, endedMessage(record)).catch(() => undefined);
      }
    }
    return ended;
  }

  /** Removes the scratch dirs of one job whose attempt has settled, and its kept segments once it has ended. */
  async sweepJob(jobId: string): Promise<number> {
    const removed = await this.sweepTempDirs(jobId);
    return removed + (await this.sweepSegmentDirs(jobId));
  }

  /** Kept segments of jobs that ended (or are gone), local files and artifact-store objects: removed with the job. */
  async sweepSegmentDirs(onlyJob?: string): Promise<number> {
    let entries: string[];
    try {
      entries = onlyJob ? [onlyJob] : await readdir(this.segmentsRoot);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const jobId of entries) {
      const job = await this.options.queue.get(jobId).catch(() => undefined);
      if (job === undefined || (job !== null && !isTerminal(job.status))) continue;
      // Clips kept in the artifact store first: the dir is what makes the next sweep try again.
      if (job !== null) {
        const deleted = await removeKeptClips(jobId, this.options.queue, this.options.store).then(
          () => true,
          (err: unknown) => {
            this.options.logger?.warn(
              { err, jobId },
              'could not delete the kept segment clips of an ended job; the next sweep retries',
            );
            return false;
          },
        );
        if (!deleted) continue;
      }
      await rm(join(this.segmentsRoot, jobId), { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  }

  /**
   * Scratch dirs left by a crashed attempt: removed when their job is finished, requeued or moved on
   * to a later attempt. A dir whose attempt may still be running elsewhere is left alone.
   */
  async sweepTempDirs(onlyJob?: string): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(this.tmpRoot);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of entries) {
      const match = WORK_DIR.exec(name);
      if (!match || (onlyJob && match[1] !== onlyJob)) continue;
      const job = await this.options.queue.get(match[1]!).catch(() => undefined);
      if (job === undefined) continue;
      const stale =
        job === null || isTerminal(job.status) || job.status === 'queued' || job.attempts > Number(match[2]);
      if (stale) {
        await rm(join(this.tmpRoot, name), { recursive: true, force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
