// Bounded growth: deletes terminal jobs (record, logs, events, idempotency key) older than
// retention.jobs_days together with their artifact, and local artifact files older than
// retention.artifacts_days (whether or not a job still names them). Remote objects (GCS/S3) are left
// to the bucket's lifecycle rule unless retention.delete_remote_artifacts is set.
// Run periodically by the API process and once by `ttv prune`; every step is idempotent, so two API
// processes sweeping one store at once do no harm.
import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/schema.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { JobStatus } from '../jobs/job.js';
import type { ArtifactStore } from '../storage/types.js';
import { removeKeptClips } from '../storage/kept-clips.js';

const DAY_MS = 24 * 3600 * 1000;
/** Jobs read and removed per round trip. */
const BATCH = 200;
/** A dry run lists at most this many jobs (nothing is removed, so there is no paging past them). */
const DRY_RUN_LIMIT = 10_000;

export interface PrunedJob {
  id: string;
  status: JobStatus;
  finished_at: string;
  /** The job's artifact key when its artifact is (or would be) deleted with it. */
  artifact_key: string | null;
}

export interface PrunedFile {
  key: string;
  modified_at: string;
}

export interface PruneReport {
  dryRun: boolean;
  /** Terminal jobs that ended before this are removed (null: retention.jobs_days is 0). */
  jobsBefore: string | null;
  /** Local files last written before this are removed (null: off, or a remote store). */
  filesBefore: string | null;
  jobs: PrunedJob[];
  files: PrunedFile[];
  /** What could not be removed this time (retried by the next sweep). */
  errors: string[];
}

export interface RetentionSweepOptions {
  queue: JobQueue;
  store: ArtifactStore;
  retention: RetentionConfig;
  logger?: Logger;
  /** The clock; tests move it instead of waiting days. */
  now?: () => Date;
}

export class RetentionSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneReport> | null = null;
  private readonly now: () => Date;

  constructor(private readonly options: RetentionSweepOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Sweeps once now and then every retention.sweep_interval_minutes; the timer never keeps the process alive. */
  start(): void {
    const minutes = this.options.retention.sweep_interval_minutes;
    if (this.timer || minutes <= 0) return;
    const tick = () => void this.sweepLogged();
    this.timer = setInterval(tick, minutes * 60_000);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One sweep; overlapping calls share the sweep in progress. */
  run(options: { dryRun?: boolean; now?: Date } = {}): Promise<PruneReport> {
    if (options.dryRun) return this.sweep(true, options.now ?? this.now());
    this.running ??= this.sweep(false, options.now ?? this.now()).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async sweepLogged(): Promise<void> {
    const { logger } = this.options;
    try {
      const report = await this.run();
      if (report.jobs.length || report.files.length || report.errors.length) {
        logger?.info(
          { jobs: report.jobs.length, files: report.files.length, errors: report.errors.slice(0, 5) },
          'retention sweep removed expired jobs and files',
        );
      }
    } catch (err) {
      logger?.warn({ err }, 'retention sweep failed; the next one retries');
    }
  }

  private async sweep(dryRun: boolean, now: Date): Promise<PruneReport> {
    const { retention, store } = this.options;
    const report: PruneReport = { dryRun, jobsBefore: null, filesBefore: null, jobs: [], files: [], errors: [] };
    if (retention.jobs_days > 0) {
      const before = new Date(now.getTime() - retention.jobs_days * DAY_MS);
      report.jobsBefore = before.toISOString();
      await this.pruneJobs(before, dryRun, report);
    }
    if (retention.artifacts_days > 0 && store.files) {
      const before = new Date(now.getTime() - retention.artifacts_days * DAY_MS);
      report.filesBefore = before.toISOString();
      await this.pruneFiles(store.files(), before, dryRun, report);
    }
    return report;
  }

  private deletesArtifacts(): boolean {
    return this.options.store.kind === 'local' || this.options.retention.delete_remote_artifacts;
  }

  private async pruneJobs(before: Date, dryRun: boolean, report: PruneReport): Promise<void> {
    const { queue, store } = this.options;
    const withArtifact = this.deletesArtifacts();
    for (;;) {
      const batch = await queue.expiredJobs(before, dryRun ? DRY_RUN_LIMIT : BATCH);
      let removed = 0;
      for (const job of batch) {
        const artifactKey = withArtifact ? job.artifact_key : null;
        const entry: PrunedJob = {
          id: job.id,
          status: job.status,
          finished_at: job.finished_at ?? '',
          artifact_key: artifactKey,
        };
        if (dryRun) {
          report.jobs.push(entry);
          continue;
        }
        try {
          // The artifact first: a job whose artifact could not be deleted stays, so the next sweep retries it.
          if (artifactKey) await store.delete(artifactKey);
          // Kept segment clips are ttv's temporary objects: deleted whatever delete_remote_artifacts says,
          // before the records that name them go with the job.
          await removeKeptClips(job.id, queue, store);
          const result = await queue.remove(job.id);
          if (result.outcome === 'removed') {
            report.jobs.push(entry);
            removed += 1;
          }
        } catch (err) {
          report.errors.push(`job ${job.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      // A short batch is the last one; a batch of which nothing could be removed would come back unchanged.
      if (dryRun || batch.length < BATCH || removed === 0) return;
    }
  }

  private async pruneFiles(
    files: AsyncIterable<{ key: string; modifiedAt: Date }>,
    before: Date,
    dryRun: boolean,
    report: PruneReport,
  ): Promise<void> {
    const expired: PrunedFile[] = [];
    for await (const file of files) {
      if (file.modifiedAt < before) expired.push({ key: file.key, modified_at: file.modifiedAt.toISOString() });
    }
    for (const file of expired) {
      if (!dryRun) {
        try {
          await this.options.store.delete(file.key);
        } catch (err) {
          report.errors.push(`file ${file.key}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
      }
      report.files.push(file);
    }
  }
}
