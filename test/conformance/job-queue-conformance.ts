// The JobStore/Queue conformance suite. Every adapter runs it unchanged: the harness only supplies a
// raw config naming a fresh, empty backend (a new SQLite file, a new Redis key prefix, ...), and the
// queue is opened through openJobQueue like production does. Crashes are real: a child process claims
// a job and is killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openJobQueue } from '../../src/jobs/open-job-queue.js';
import { randomUUID } from 'node:crypto';
import type { ConsumeOptions, Consumer, JobContext, JobOutcome, JobQueue } from '../../src/jobs/job-queue.js';
import type { JobRequest } from '../../src/jobs/job.js';
import type { Lease, LeaseStore } from '../../src/jobs/lease-store.js';
import { InvalidCursorError } from '../../src/errors/invalid-cursor-error.js';
import { waitFor } from '../support/wait-for.js';

export interface JobQueueHarness {
  /** Raw config for a fresh, empty backend. Must set worker.lease_seconds ≤ 1 and worker.max_attempts = 2. */
  freshConfig(): Promise<Record<string, unknown>>;
  cleanup?(): Promise<void>;
}

const HANGING_WORKER = fileURLToPath(new URL('./hanging-worker.mjs', import.meta.url));
// Bytes whose base64 holds "+", "/" and "=": what a stored image's text can contain.
const IMAGE_BYTES = Buffer.from([0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83, 0xfe, 0x3e, 0x7f, 0x42]);
const IMAGE_BASE64 = IMAGE_BYTES.toString('base64');
const UPLOAD_BYTES = Buffer.from([0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70, 0xfb, 0xef, 0xff]);
const UPLOAD_BASE64 = UPLOAD_BYTES.toString('base64');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function outcomeFor(ctx: JobContext): JobOutcome {
  return { artifactUri: `file:///artifacts/${ctx.job.id}.mp4`, artifactKey: `k/${ctx.job.id}`, gcsUri: null };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function describeJobQueueConformance(name: string, harness: JobQueueHarness): void {
  describe(`JobQueue conformance: ${name}`, () => {
    const opened: JobQueue[] = [];
    const consumers: Consumer[] = [];
    const children: ChildProcess[] = [];

    const open = async (raw?: Record<string, unknown>) => {
      const config = configSchema.parse(raw ?? (await harness.freshConfig()));
      const queue = openJobQueue(config);
      opened.push(queue);
      return { queue, raw: raw ?? {}, config };
    };
    const openFresh = async () => {
      const raw = await harness.freshConfig();
      const { queue } = await open(raw);
      return { queue, raw };
    };
    const leaseStores: LeaseStore[] = [];
    const consume = (
      queue: JobQueue,
      handler: (ctx: JobContext) => Promise<JobOutcome>,
      concurrency = 1,
      extra: Partial<ConsumeOptions> = {},
    ) => {
      const consumer = queue.consume({ concurrency, handler, ...extra });
      consumers.push(consumer);
      return consumer;
    };
    /** A worker in another process that claims one job and then hangs until killed. */
    const crashingWorker = async (raw: Record<string, unknown>) => {
      const child = spawn(process.execPath, [HANGING_WORKER, JSON.stringify(raw)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      let buffer = '';
      const claimed = new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          const match = /claimed ([0-9a-f-]{36})/.exec(buffer);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`hanging worker exited early (${code})`)));
      });
      const jobId = await claimed;
      return {
        jobId,
        kill: async () => {
          child.kill('SIGKILL');
          if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
        },
      };
    };

    afterEach(async () => {
      for (const child of children.splice(0))
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(consumers.splice(0).map((c) => c.close(0)));
      await Promise.all(leaseStores.splice(0).map((l) => l.close()));
      await Promise.all(opened.splice(0).map((q) => q.close()));
      await harness.cleanup?.();
    });

    /** The lease side of a queue, and one claimed lease (the job submitted just before). */
    const leasesOf = (queue: JobQueue) => {
      const leases = queue.openLeases();
      leaseStores.push(leases);
      return leases;
    };
    const claimOne = (leases: LeaseStore) =>
      waitFor(async () => leases.claim('conformance-worker', 30_000, new AbortController().signal), {
        what: 'a lease',
      });
    const statusesOf = async (queue: JobQueue, id: string) =>
      (await queue.events(id, null))!.filter((e) => e.type === 'status').map((e) => e.data.status);
    const outcome = (id: string): JobOutcome => ({
      artifactUri: `file:///artifacts/${id}.mp4`,
      artifactKey: `k/${id}`,
      gcsUri: null,
    });
    /** Every write a lease holder can make; each must be refused (false) when the transition is forbidden. */
    const everyWrite = (leases: LeaseStore, lease: Lease) =>
      Promise.all([
        leases.progress(lease, { progress: 90, stage: 'uploading', message: 'late progress' }),
        leases.cost(lease, 9.99),
        leases.finish(lease, outcome(lease.job.id), 'late finish'),
        leases.fail(lease, 'late failure', 'Job failed: late failure'),
        leases.handBack(lease, 'late hand-back', true),
        leases.recordSegment(lease, {
          segment: 1,
          requestHash: 'late',
          task: { backend: 'runway', model: 'gen4_turbo', taskId: 'late-task', createdAt: new Date().toISOString() },
        }),
      ]);

    it('forbids queued → failed (and → finished, → progress) to a lease that never claimed the job', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'untouched' });
      const leases = leasesOf(queue);
      const stranger: Lease = { job, token: randomUUID() };
      expect(await everyWrite(leases, stranger)).toEqual([false, false, false, false, false, false]);
      expect(await leases.renew(stranger, 30_000)).toBe('lost');
      expect(await leases.state(stranger)).toBe('lost');
      expect(await queue.get(job.id)).toMatchObject({
        status: 'queued',
        progress: 0,
        error: null,
        artifact_uri: null,
        estimated_cost_usd: null,
      });
      expect(await statusesOf(queue, job.id)).toEqual(['queued']);
      expect((await queue.logs(job.id, 0))!.join('\n')).not.toMatch(/late/);
    });

    it('forbids finished → anything', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'finished for good' });
      const leases = leasesOf(queue);
      const lease = await claimOne(leases);
      expect(lease.job.id).toBe(job.id);
      expect(await leases.finish(lease, outcome(job.id), 'done once')).toBe(true);
      expect(await everyWrite(leases, lease)).toEqual([false, false, false, false, false, false]);
      expect(await leases.renew(lease, 30_000)).toBe('lost');
      expect((await queue.cancel(job.id)).outcome).toBe('terminal');
      expect(await queue.get(job.id)).toMatchObject({
        status: 'finished',
        progress: 100,
        stage: 'done',
        error: null,
        artifact_uri: outcome(job.id).artifactUri,
      });
      expect(await statusesOf(queue, job.id)).toEqual(['queued', 'started', 'finished']);
      expect((await queue.logs(job.id, 0))!.join('\n')).not.toMatch(/late/);
    });

    it('forbids failed → anything', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'failed for good' });
      const leases = leasesOf(queue);
      const lease = await claimOne(leases);
      expect(await leases.fail(lease, 'broken', 'Job failed: broken')).toBe(true);
      expect(await everyWrite(leases, lease)).toEqual([false, false, false, false, false, false]);
      expect((await queue.cancel(job.id)).outcome).toBe('terminal');
      expect(await queue.get(job.id)).toMatchObject({ status: 'failed', error: 'broken', artifact_uri: null });
      expect(await statusesOf(queue, job.id)).toEqual(['queued', 'started', 'failed']);
    });

    it('forbids canceled → anything: a late progress, cost, finish, failure or hand-back after cancel is refused', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'canceled for good' });
      const leases = leasesOf(queue);
      const lease = await claimOne(leases);
      expect(await leases.progress(lease, { progress: 40, stage: 'segments' })).toBe(true);
      expect((await queue.cancel(job.id)).outcome).toBe('canceled');
      expect(await leases.state(lease)).toBe('canceled');
      expect(await leases.renew(lease, 30_000)).toBe('canceled');
      expect(await everyWrite(leases, lease)).toEqual([false, false, false, false, false, false]);
      expect(await queue.get(job.id)).toMatchObject({
        status: 'canceled',
        progress: 40,
        error: null,
        artifact_uri: null,
        estimated_cost_usd: null,
      });
      expect(await statusesOf(queue, job.id)).toEqual(['queued', 'started', 'progress', 'canceled']);
      expect((await queue.logs(job.id, 0))!.join('\n')).not.toMatch(/late/);
      expect(await queue.segmentRecords(job.id)).toEqual([]);
    });

    it('a lease handed back writes nothing more, and the next claim is a new attempt with its own token', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'handed back' });
      const leases = leasesOf(queue);
      const first = await claimOne(leases);
      expect(await leases.handBack(first, 'back you go', true)).toBe(true);
      expect(await everyWrite(leases, first)).toEqual([false, false, false, false, false, false]);
      expect(await queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
      const second = await claimOne(leases);
      expect(second.job.id).toBe(job.id);
      expect(second.token).not.toBe(first.token);
      expect(await leases.state(first)).toBe('lost');
      // Segment records too: the stale holder cannot overwrite what the new holder recorded.
      const task = {
        backend: 'runway',
        model: 'gen4_turbo',
        taskId: 'second-task',
        createdAt: new Date().toISOString(),
      };
      expect(await leases.recordSegment(second, { segment: 1, requestHash: 'h1', task })).toBe(true);
      expect(
        await leases.recordSegment(first, { segment: 1, requestHash: 'h1', task: { ...task, taskId: 'stale-task' } }),
      ).toBe(false);
      expect(await queue.segmentRecords(job.id)).toEqual([{ segment: 1, requestHash: 'h1', task }]);
      expect(await leases.finish(second, outcome(job.id), 'second attempt done')).toBe(true);
      expect((await queue.get(job.id))?.status).toBe('finished');
    });

    it('claims nothing while the consumer gate gives a reason, and runs the job once it opens', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'gated' });
      let reason: string | null = 'disk low';
      let checks = 0;
      let runs = 0;
      consume(
        queue,
        async (ctx) => {
          runs += 1;
          return outcomeFor(ctx);
        },
        1,
        {
          gate: () => {
            checks += 1;
            return reason;
          },
        },
      );
      await waitFor(async () => checks >= 3, { what: 'the gate to be asked three times' });
      expect(runs).toBe(0);
      expect((await queue.get(job.id))?.status).toBe('queued');
      reason = null;
      await waitFor(async () => ((await queue.get(job.id))?.status === 'finished' ? true : null), {
        what: 'the job to run once the gate opens',
      });
      expect(runs).toBe(1);
    });

    it('hands an outcome whose job was canceled before it was recorded to onCanceledOutcome', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'canceled after upload' });
      const started = deferred();
      const canceled = deferred();
      const handedOver: [string, JobOutcome][] = [];
      consume(
        queue,
        async (ctx) => {
          started.resolve();
          await canceled.promise;
          return outcomeFor(ctx); // the upload finished just as the cancel landed
        },
        1,
        {
          onCanceledOutcome: async (id, result) => {
            handedOver.push([id, result]);
          },
        },
      );
      await started.promise;
      expect((await queue.cancel(job.id)).outcome).toBe('canceled');
      canceled.resolve();
      await waitFor(async () => handedOver.length === 1, { what: 'onCanceledOutcome' });
      expect(handedOver).toEqual([[job.id, outcome(job.id)]]);
      expect(await queue.get(job.id)).toMatchObject({ status: 'canceled', artifact_uri: null });
    });

    it('submits a queued job with every field present', async () => {
      const { queue } = await openFresh();
      const { outcome, job } = await queue.submit({ prompt: 'a red fox' });
      expect(outcome).toBe('created');
      expect(job).toMatchObject({
        status: 'queued',
        stage: 'queued',
        progress: 0,
        prompt: 'a red fox',
        started_at: null,
        finished_at: null,
        gcs_uri: null,
        artifact_uri: null,
        error: null,
        queue_position: 1,
      });
      expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(job.created_at).toMatch(ISO);
      const second = await queue.submit({ prompt: 'second' });
      expect(second.job.queue_position).toBe(2);
      expect(await queue.get(job.id)).toMatchObject({ id: job.id, status: 'queued', queue_position: 1 });
      expect(await queue.get('00000000-0000-4000-8000-000000000000')).toBeNull();
    });

    it('answers a submission with the record as stored: what get reads next is the same job, field for field', async () => {
      const { queue } = await openFresh();
      const submissions = [
        await queue.submit({ prompt: 'plain' }),
        await queue.submit(
          { prompt: 'owned and costed', options: { duration_seconds: 6, seed: 7 } },
          { owner: 'key-a', estimatedCostUsd: 0.42 },
        ),
        await queue.submit({ prompt: 'keyed' }, { idempotencyKey: 'same-record', owner: 'key-b' }),
      ];
      for (const [i, { outcome, job }] of submissions.entries()) {
        expect(outcome).toBe('created');
        expect(job.queue_position).toBe(i + 1);
        expect(await queue.get(job.id)).toEqual(job);
      }
      // A replay answers with the stored record too.
      const replay = await queue.submit({ prompt: 'keyed' }, { idempotencyKey: 'same-record', owner: 'key-b' });
      expect(replay.outcome).toBe('replayed');
      expect(replay.job).toEqual(await queue.get(submissions[2]!.job.id));
    });

    it('lists newest first with a cursor that visits every job once, and filters by status', async () => {
      const { queue } = await openFresh();
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1) ids.push((await queue.submit({ prompt: `job ${i}` })).job.id);
      await queue.cancel(ids[2]!);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await queue.list({ limit: 3, cursor });
        expect(page.jobs.length).toBeLessThanOrEqual(3);
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
      const canceled = await queue.list({ limit: 10, status: 'canceled' });
      expect(canceled.jobs.map((j) => j.id)).toEqual([ids[2]]);
      await expect(queue.list({ limit: 3, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('replays an idempotent submission and refuses a reused key with another body', async () => {
      const { queue } = await openFresh();
      const first = await queue.submit({ prompt: 'same' }, { idempotencyKey: 'key-1' });
      const again = await queue.submit({ prompt: 'same' }, { idempotencyKey: 'key-1' });
      expect(again.outcome).toBe('replayed');
      expect(again.job.id).toBe(first.job.id);
      const other = await queue.submit({ prompt: 'different' }, { idempotencyKey: 'key-1' });
      expect(other.outcome).toBe('key_mismatch');
      const plain1 = await queue.submit({ prompt: 'same' });
      const plain2 = await queue.submit({ prompt: 'same' });
      expect(plain1.job.id).not.toBe(plain2.job.id);
      expect((await queue.stats()).total).toBe(3);
    });

    it('keeps the newest 1000 log lines in "[ISO] message" form and serves tails', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'logs' });
      for (let i = 0; i < 1005; i += 1) await queue.appendLog(job.id, `line ${i}`);
      const all = (await queue.logs(job.id, 0))!;
      expect(all).toHaveLength(1000);
      expect(all[999]).toMatch(/^\[\d{4}-\d{2}-\d{2}T[^\]]+Z\] line 1004$/);
      expect(all[0]).toMatch(/\] line 5$/);
      expect(await queue.logs(job.id, 2)).toEqual(all.slice(-2));
      expect(await queue.logs(job.id, 5000)).toEqual(all);
      expect(await queue.logs('00000000-0000-4000-8000-000000000000', 10)).toBeNull();
    });

    it('keeps segment records across handles (vendor task, then clip), written under the lease, and removes them with the job', async () => {
      const { queue, raw } = await openFresh();
      const { job } = await queue.submit({ prompt: 'segments' });
      const other = (await queue.submit({ prompt: 'other' })).job;
      expect(await queue.segmentRecords(job.id)).toEqual([]);
      const leases = leasesOf(queue);
      const claimed = [await claimOne(leases), await claimOne(leases)];
      const lease = claimed.find((l) => l.job.id === job.id)!;
      const otherLease = claimed.find((l) => l.job.id === other.id)!;
      const task = {
        backend: 'runway',
        model: 'gen4_turbo',
        taskId: 'task-2',
        createdAt: new Date().toISOString(),
        handles: { status: 'https://x/2' },
      };
      expect(await leases.recordSegment(lease, { segment: 2, requestHash: 'h2', task })).toBe(true);
      expect(
        await leases.recordSegment(lease, { segment: 1, requestHash: 'h1', task: { ...task, taskId: 'task-1' } }),
      ).toBe(true);
      expect(await leases.recordSegment(otherLease, { segment: 1, requestHash: 'other' })).toBe(true);
      // A finished segment replaces its record (same segment number) with its clip and cost.
      const clip = { key: 'ttv/segments/x/segment_001.mp4', costUsd: 0.25 };
      expect(
        await leases.recordSegment(lease, { segment: 1, requestHash: 'h1', task: { ...task, taskId: 'task-1' }, clip }),
      ).toBe(true);
      // Another handle on the same backend (another worker) reads the same records.
      const { queue: second } = await open(raw);
      const records = await second.segmentRecords(job.id);
      expect(records).toEqual([
        { segment: 1, requestHash: 'h1', task: { ...task, taskId: 'task-1' }, clip },
        { segment: 2, requestHash: 'h2', task },
      ]);
      expect(await second.segmentRecords(other.id)).toEqual([{ segment: 1, requestHash: 'other' }]);
      await queue.cancel(job.id);
      // The canceled job's records stay readable (the canceling process cancels their vendor tasks) until removal.
      expect(await second.segmentRecords(job.id)).toHaveLength(2);
      expect((await queue.remove(job.id)).outcome).toBe('removed');
      expect(await second.segmentRecords(job.id)).toEqual([]);
      expect(await second.segmentRecords(other.id)).toHaveLength(1);
    });

    it('runs a job: started, monotonic progress, finished once with its artifact', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'run me' });
      const done = deferred();
      const observed: number[] = [];
      consume(queue, async (ctx) => {
        const current = await queue.get(ctx.job.id);
        expect(current?.status).toBe('started');
        expect(ctx.attempt).toBe(1);
        await ctx.progress(30, 'keyframes', 'thirty');
        await ctx.progress(20, 'keyframes');
        observed.push((await queue.get(ctx.job.id))!.progress);
        await ctx.progress(60, 'segments');
        await ctx.log('custom line');
        done.resolve();
        return outcomeFor(ctx);
      });
      await done.promise;
      const finished = await waitFor(async () => {
        const j = await queue.get(job.id);
        return j?.status === 'finished' ? j : null;
      });
      expect(observed).toEqual([30]);
      expect(finished).toMatchObject({
        status: 'finished',
        progress: 100,
        stage: 'done',
        artifact_uri: `file:///artifacts/${job.id}.mp4`,
        error: null,
      });
      expect(finished.started_at! >= finished.created_at).toBe(true);
      expect(finished.finished_at! >= finished.started_at!).toBe(true);
      const lines = (await queue.logs(job.id, 0))!.join('\n');
      expect(lines).toContain('thirty');
      expect(lines).toContain('custom line');
      expect(lines).toContain('Video generation completed');
      expect((await queue.cancel(job.id)).outcome).toBe('terminal');
      const stats = await queue.stats();
      expect(stats).toMatchObject({ finished: 1, queued: 0, active: 0, total: 1 });
    });

    it('journals status, progress and log events in order, resumable after any event id', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'journal' });
      consume(queue, async (ctx) => {
        await ctx.progress(20, 'planning', 'planned');
        await ctx.progress(20, 'planning');
        await ctx.progress(60, 'segments');
        return outcomeFor(ctx);
      });
      await waitFor(async () => ((await queue.get(job.id))?.status === 'finished' ? true : null));
      const events = (await queue.events(job.id, null))!;
      const statuses = events.filter((e) => e.type === 'status').map((e) => e.data.status);
      expect(statuses).toEqual(['queued', 'started', 'progress', 'finished']);
      expect(events.filter((e) => e.type === 'progress').map((e) => e.data.progress)).toEqual([20, 60]);
      expect(events.filter((e) => e.type === 'log').map((e) => String(e.data.line))).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/\] Job queued$/),
          expect.stringMatching(/\] planned$/),
          expect.stringMatching(/Video generation completed/),
        ]),
      );
      const last = events.at(-1)!;
      expect(last.data.status ?? last.type).toBeDefined();
      const middle = events[3]!;
      expect(await queue.events(job.id, middle.id)).toEqual(events.slice(4));
      expect(await queue.events(job.id, last.id)).toEqual([]);
      expect(await queue.events('00000000-0000-4000-8000-000000000000', null)).toBeNull();
      await expect(queue.events(job.id, 'garbage')).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('fails a job whose handler throws, with the reason, and does not retry it', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'boom' });
      let calls = 0;
      consume(queue, async () => {
        calls += 1;
        throw new Error('segment 2 could not be generated');
      });
      const failed = await waitFor(async () => {
        const j = await queue.get(job.id);
        return j?.status === 'failed' ? j : null;
      });
      expect(failed.error).toBe('segment 2 could not be generated');
      expect(failed.finished_at).not.toBeNull();
      expect(
        (await queue.logs(job.id, 0))!.some((l) => l.includes('Job failed: segment 2 could not be generated')),
      ).toBe(true);
      expect(calls).toBe(1);
    });

    it('cancels a queued job so that no worker ever runs it', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'never' });
      const result = await queue.cancel(job.id);
      expect(result.outcome).toBe('canceled');
      if (result.outcome !== 'canceled') return;
      expect(result.job.status).toBe('canceled');
      expect(result.job.finished_at).not.toBeNull();
      expect((await queue.cancel(job.id)).outcome).toBe('terminal');
      expect((await queue.cancel('00000000-0000-4000-8000-000000000000')).outcome).toBe('not_found');
      const after = await queue.submit({ prompt: 'runs' });
      const ran: string[] = [];
      consume(queue, async (ctx) => {
        ran.push(ctx.job.id);
        return outcomeFor(ctx);
      });
      await waitFor(async () => ((await queue.get(after.job.id))?.status === 'finished' ? true : null));
      expect(ran).toEqual([after.job.id]);
      expect((await queue.logs(job.id, 0))!.some((l) => l.endsWith('Job cancellation requested'))).toBe(true);
    });

    it('cancels a running job: the handler is aborted and late writes never overwrite canceled', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'long' });
      const started = deferred();
      const aborted = deferred();
      consume(queue, async (ctx) => {
        await ctx.progress(40, 'segments');
        started.resolve();
        ctx.signal.addEventListener('abort', () => aborted.resolve(), { once: true });
        await aborted.promise;
        await ctx.progress(90, 'uploading', 'late progress');
        return outcomeFor(ctx); // a late success must not finish a canceled job
      });
      await started.promise;
      expect((await queue.cancel(job.id)).outcome).toBe('canceled');
      await aborted.promise;
      await waitFor(async () => ((await queue.stats()).active === 0 ? true : null));
      const after = await queue.get(job.id);
      expect(after).toMatchObject({ status: 'canceled', progress: 40, artifact_uri: null });
      expect((await queue.logs(job.id, 0))!.join('\n')).not.toContain('late progress');
    });

    it('delivers a cancel issued through another handle on the same backend', async () => {
      const { queue, raw } = await openFresh();
      const { queue: other } = await open(raw);
      const { job } = await queue.submit({ prompt: 'cross' });
      const started = deferred();
      const aborted = deferred();
      consume(queue, async (ctx) => {
        started.resolve();
        ctx.signal.addEventListener('abort', () => aborted.resolve(), { once: true });
        await aborted.promise;
        throw new Error('stopped');
      });
      await started.promise;
      expect((await other.cancel(job.id)).outcome).toBe('canceled');
      await aborted.promise;
      expect((await queue.get(job.id))?.status).toBe('canceled');
    });

    it('runs at most `concurrency` jobs at once and each exactly once', async () => {
      const { queue } = await openFresh();
      const ids = await Promise.all([1, 2, 3, 4, 5].map(async (i) => (await queue.submit({ prompt: `c${i}` })).job.id));
      let running = 0;
      let peak = 0;
      const runs = new Map<string, number>();
      consume(
        queue,
        async (ctx) => {
          running += 1;
          peak = Math.max(peak, running);
          runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
          await new Promise((r) => setImmediate(r));
          running -= 1;
          return outcomeFor(ctx);
        },
        2,
      );
      await waitFor(async () => ((await queue.stats()).finished === 5 ? true : null));
      expect(peak).toBeLessThanOrEqual(2);
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
    });

    it('reports live workers while a consumer runs', async () => {
      const { queue } = await openFresh();
      const consumer = consume(queue, async (ctx) => outcomeFor(ctx));
      await waitFor(async () => ((await queue.liveWorkers()) >= 1 ? true : null));
      await consumer.close(0);
      await waitFor(async () => ((await queue.liveWorkers()) === 0 ? true : null));
      await queue.ping();
    });

    it("reports each live worker's claim state from its gate, across queue instances", async () => {
      const { queue, raw } = await openFresh();
      const { queue: reader } = await open(raw); // another process's view of the same store
      let reason: string | null = 'low disk space: 3 MB free under the data dir; new jobs wait';
      const blocked = consume(queue, async (ctx) => outcomeFor(ctx), 1, { gate: () => reason });
      const states = await waitFor(
        async () => {
          const all = await reader.workerStates();
          return all.some((w) => w.workerId === blocked.workerId && !w.canClaim) ? all : null;
        },
        { what: 'the blocked worker in workerStates' },
      );
      expect(states).toEqual([{ workerId: blocked.workerId, canClaim: false, reason }]);
      expect(await reader.liveWorkers()).toBe(1);
      const free = consume(queue, async (ctx) => outcomeFor(ctx));
      reason = null; // space is back: the change is reported without waiting for a heartbeat period
      await waitFor(
        async () => {
          const all = await reader.workerStates();
          return all.length === 2 && all.every((w) => w.canClaim && w.reason === null) ? true : null;
        },
        { what: 'both workers able to claim' },
      );
      expect((await reader.workerStates()).map((w) => w.workerId)).toEqual([blocked.workerId, free.workerId].sort());
      await blocked.close(0);
      await free.close(0);
      await waitFor(async () => ((await reader.workerStates()).length === 0 ? true : null), {
        what: 'no live workers',
      });
    });

    it("hands a job back to the queue on a failure the handler calls not the job's fault, counting the attempt, and fails it on its last", async () => {
      const { queue } = await openFresh();
      const notItsFault = new Error('No space left on device under the data dir');
      const handBackOn = (err: unknown) => (err === notItsFault ? 'disk full; back to the queue' : null);
      // max_attempts is 2: the first attempt is handed back, the second (its last) fails.
      const { job: failing } = await queue.submit({ prompt: 'never fits' });
      const runs: number[] = [];
      const consumer = consume(
        queue,
        async (ctx) => {
          runs.push(ctx.attempt);
          throw notItsFault;
        },
        1,
        { handBackOn },
      );
      await waitFor(async () => ((await queue.get(failing.id))?.status === 'failed' ? true : null), {
        what: 'the job to fail on its last attempt',
      });
      await consumer.close(0);
      expect(runs).toEqual([1, 2]);
      const record = (await queue.get(failing.id))!;
      expect(record).toMatchObject({ attempts: 2, error: notItsFault.message });
      expect(await statusesOf(queue, failing.id)).toEqual(['queued', 'started', 'queued', 'started', 'failed']);
      expect((await queue.logs(failing.id, 0))!.filter((l) => l.includes('disk full; back to the queue'))).toHaveLength(
        1,
      );

      // Once the cause is gone, the handed-back job runs again and finishes, once.
      const { job } = await queue.submit({ prompt: 'fits later' });
      let full = true;
      const attempts: number[] = [];
      const second = consume(
        queue,
        async (ctx) => {
          attempts.push(ctx.attempt);
          if (full) {
            full = false;
            throw notItsFault;
          }
          return outcomeFor(ctx);
        },
        1,
        { handBackOn },
      );
      await waitFor(async () => ((await queue.get(job.id))?.status === 'finished' ? true : null), {
        what: 'the job to finish',
      });
      await second.close(0);
      expect(attempts).toEqual([1, 2]);
      expect((await queue.get(job.id))?.attempts).toBe(2);
    });

    it('hands a running job back to the queue when a consumer closes, and another finishes it', async () => {
      const { queue } = await openFresh();
      const { job } = await queue.submit({ prompt: 'handover' });
      const started = deferred();
      const first = consume(queue, async (ctx) => {
        started.resolve();
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
        return outcomeFor(ctx);
      });
      await started.promise;
      await first.close(10);
      expect((await queue.get(job.id))?.status).toBe('queued');
      consume(queue, async (ctx) => outcomeFor(ctx));
      const finished = await waitFor(async () => {
        const j = await queue.get(job.id);
        return j?.status === 'finished' ? j : null;
      });
      expect(finished.attempts).toBe(1);
    });

    it('retries a job whose worker process was killed, and finishes it exactly once', async () => {
      const raw = await harness.freshConfig();
      const { queue } = await open(raw);
      const { job } = await queue.submit({ prompt: 'crash once' });
      const crash = await crashingWorker(raw);
      expect(crash.jobId).toBe(job.id);
      await crash.kill();
      let runs = 0;
      consume(queue, async (ctx) => {
        runs += 1;
        expect(ctx.attempt).toBe(2);
        return outcomeFor(ctx);
      });
      const finished = await waitFor(
        async () => {
          const j = await queue.get(job.id);
          return j?.status === 'finished' ? j : null;
        },
        { timeoutMs: 20_000 },
      );
      expect(runs).toBe(1);
      expect(finished.attempts).toBe(2);
      expect((await queue.logs(job.id, 0))!.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
    });

    it('fails a job with a reason once its worker has died max_attempts times', async () => {
      const raw = await harness.freshConfig();
      const { queue } = await open(raw);
      const { job } = await queue.submit({ prompt: 'poison' });
      const first = await crashingWorker(raw);
      await first.kill();
      const second = await crashingWorker(raw); // picks the job up again once its lease expires
      expect(second.jobId).toBe(job.id);
      await second.kill();
      let runs = 0;
      consume(queue, async (ctx) => {
        runs += 1;
        return outcomeFor(ctx);
      });
      const failed = await waitFor(
        async () => {
          const j = await queue.get(job.id);
          return j?.status === 'failed' ? j : null;
        },
        { timeoutMs: 20_000 },
      );
      expect(failed.error).toMatch(/attempt limit of 2/);
      expect(runs).toBe(0);
    });

    // The first-frame image and an uploaded source video (POST /v1/videos/extensions): kept while
    // the job can run (a retry after a crash reads them again), dropped from the stored request in
    // the same write that ends the job, whichever way it ends.
    const withImage = (prompt: string): JobRequest => ({
      prompt,
      options: {
        // The store keeps what it is given; every base64 character, "+", "/" and "=" included.
        image: {
          content_type: 'image/png',
          data_base64: IMAGE_BASE64,
          bytes: IMAGE_BYTES.length,
          sha256: 'f'.repeat(64),
        },
        duration_seconds: 6,
        max_cost_usd: 0.125,
        seed: 4_294_967_295,
        webhook: { url: 'https://hooks.example.com/ttv', events: ['job.finished', 'job.failed'] },
      },
      openai: { model: 'ttv-preview', seconds: '6' },
      source: {
        job_id: null,
        artifact_key: null,
        use: 'extend',
        upload: { bytes: UPLOAD_BYTES.length, sha256: 'e'.repeat(64), data_base64: UPLOAD_BASE64 },
      },
    });
    /** The request as it must read once the job has ended: the same, without the image and upload bytes. */
    const ended = (request: JobRequest): JobRequest => {
      const { data_base64: _dropped, ...image } = request.options!.image!;
      const { data_base64: _droppedUpload, ...upload } = request.source!.upload!;
      return { ...request, options: { ...request.options, image }, source: { ...request.source!, upload } };
    };

    it('drops the first-frame image bytes when a job finishes, and a retry after a crash still has them', async () => {
      const raw = await harness.freshConfig();
      const { queue } = await open(raw);
      const request = withImage('an image, a crash, then success');
      const { job } = await queue.submit(request);
      expect((await queue.get(job.id))!.request).toEqual(request);
      const crash = await crashingWorker(raw);
      expect(crash.jobId).toBe(job.id);
      await crash.kill();
      const seen: (string | undefined)[] = [];
      consume(queue, async (ctx) => {
        seen.push(ctx.job.request.options?.image?.data_base64, ctx.job.request.source?.upload?.data_base64);
        return outcomeFor(ctx);
      });
      const finished = await waitFor(
        async () => {
          const j = await queue.get(job.id);
          return j?.status === 'finished' ? j : null;
        },
        { timeoutMs: 20_000 },
      );
      expect(finished.attempts).toBe(2);
      expect(seen).toEqual([IMAGE_BASE64, UPLOAD_BASE64]);
      expect(finished.request).toEqual(ended(request));
    });

    it('drops the first-frame image bytes when a job fails', async () => {
      const { queue } = await openFresh();
      const request = withImage('an image, then a failure');
      const { job } = await queue.submit(request);
      consume(queue, async () => {
        throw new Error('segment 1 could not be generated');
      });
      const failed = await waitFor(async () => {
        const j = await queue.get(job.id);
        return j?.status === 'failed' ? j : null;
      });
      expect(failed.request).toEqual(ended(request));
    });

    it('drops the first-frame image bytes when a queued or a running job is canceled', async () => {
      const { queue } = await openFresh();
      const queuedRequest = withImage('canceled while queued');
      const { job: queued } = await queue.submit(queuedRequest);
      const canceled = await queue.cancel(queued.id);
      expect(canceled.outcome).toBe('canceled');
      if (canceled.outcome === 'canceled') expect(canceled.job.request).toEqual(ended(queuedRequest));
      expect((await queue.get(queued.id))!.request).toEqual(ended(queuedRequest));

      const runningRequest = withImage('canceled while running');
      const { job: running } = await queue.submit(runningRequest);
      const started = deferred();
      consume(queue, async (ctx) => {
        started.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('stopped');
      });
      await started.promise;
      expect((await queue.get(running.id))!.request).toEqual(runningRequest);
      expect((await queue.cancel(running.id)).outcome).toBe('canceled');
      expect((await queue.get(running.id))!.request).toEqual(ended(runningRequest));
    });

    it('drops the first-frame image bytes when a job fails at the attempt limit', async () => {
      const raw = await harness.freshConfig();
      const { queue } = await open(raw);
      const request = withImage('an image, two crashes');
      const { job } = await queue.submit(request);
      await (await crashingWorker(raw)).kill();
      const second = await crashingWorker(raw);
      expect(second.jobId).toBe(job.id);
      await second.kill();
      consume(queue, async (ctx) => outcomeFor(ctx));
      const failed = await waitFor(
        async () => {
          const j = await queue.get(job.id);
          return j?.status === 'failed' ? j : null;
        },
        { timeoutMs: 20_000 },
      );
      expect(failed.request).toEqual(ended(request));
    });
  });
}
