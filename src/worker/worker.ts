// A worker: consumes jobs from the queue with the configured concurrency and runs each through the
// job runner. Used in-process by `ttv serve` and on its own by `ttv worker`.
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import { collectSecrets } from '../config/redact.js';
import type { Consumer, ConsumerProblem, JobHandler, JobOutcome, JobQueue } from '../jobs/job-queue.js';
import { isTerminal, toJobView } from '../jobs/job.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import type { Pipeline } from '../pipeline/types.js';
import type { ArtifactStore } from '../storage/types.js';
import { createJobRunner } from './job-runner.js';

export interface WorkerOptions {
  config: AppConfig;
  queue: JobQueue;
  store: ArtifactStore;
  pipeline: Pipeline;
  logger?: Logger;
  concurrency?: number;
  webhooks?: WebhookDispatcher;
}

const WORK_DIR = /^job_([0-9a-f-]{36})_a(\d+)$/;

export class Worker {
  private consumer: Consumer | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  readonly tmpRoot: string;

  constructor(private readonly options: WorkerOptions) {
    this.tmpRoot = join(resolve(options.config.data_dir), 'tmp');
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    await this.sweepTempDirs();
    const { config, queue, store, pipeline, logger } = this.options;
    const runner = createJobRunner({
      config,
      pipeline,
      store,
      tmpRoot: this.tmpRoot,
      secrets: collectSecrets(config),
      onError: (jobId, err) => logger?.error({ err, jobId }, 'job failed'),
    });
    const webhooks = this.options.webhooks;
    // Webhooks for what happens in the worker: started, progress (throttled), finished, failed.
    const handler: JobHandler = async (ctx) => {
      if (!webhooks?.enabled) return runner(ctx);
      const view = async () => {
        const job = await queue.get(ctx.job.id).catch(() => null);
        return job ? toJobView(job) : null;
      };
      const started = await view();
      if (started) webhooks.emit('job.started', started);
      return runner({
        ...ctx,
        progress: async (progress, stage, message) => {
          await ctx.progress(progress, stage, message);
          const current = await view();
          if (current && !isTerminal(current.status)) webhooks.emit('job.progress', current);
        },
      });
    };
    const onSettled = (jobId: string) => {
      void this.sweepJob(jobId);
      if (!webhooks?.enabled) return;
      void queue.get(jobId).then((job) => {
        if (job?.status === 'finished') webhooks.emit('job.finished', toJobView(job));
        else if (job?.status === 'failed') webhooks.emit('job.failed', toJobView(job));
      }).catch(() => undefined);
    };
    // A cancel that landed after the upload: the job is canceled, so its stored video must not stay.
    const onCanceledOutcome = async (jobId: string, outcome: JobOutcome) => {
      try {
        await store.delete(outcome.artifactKey);
        await queue.appendLog(jobId, 'Job canceled after its video was stored; the stored video was deleted').catch(() => undefined);
      } catch (err) {
        logger?.error({ err, jobId }, 'could not delete the artifact of a job canceled after upload');
      }
    };
    this.consumer = queue.consume({ concurrency: this.options.concurrency ?? config.worker.concurrency, handler, onSettled, onCanceledOutcome });
    // Attempts interrupted by a crash elsewhere leave dirs that become stale once recovery requeues them.
    this.sweeper = setInterval(() => void this.sweepTempDirs(), config.worker.lease_seconds * 1000);
    this.sweeper.unref();
    logger?.info({ workerId: this.consumer.workerId, concurrency: this.options.concurrency ?? config.worker.concurrency }, 'worker started');
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

  /** Removes the scratch dirs of one job whose attempt has settled. */
  sweepJob(jobId: string): Promise<number> {
    return this.sweepTempDirs(jobId);
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
      const stale = job === null || isTerminal(job.status) || job.status === 'queued' || job.attempts > Number(match[2]);
      if (stale) {
        await rm(join(this.tmpRoot, name), { recursive: true, force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
