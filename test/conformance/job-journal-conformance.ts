// The store-wide journal and its followers, run unchanged on every adapter (like
// job-queue-conformance.ts): global order across jobs, what status entries carry, the follower's
// compare-and-set cursor with counters, its lease and remembered payloads, and job counters that
// count each outcome once however many processes catch up at once.
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openJobQueue } from '../../src/jobs/open-job-queue.js';
import type { Consumer, JobQueue } from '../../src/jobs/job-queue.js';
import { JobCounters } from '../../src/jobs/job-counters.js';
import { compareJournalIds } from '../../src/jobs/job-journal.js';
import { InvalidCursorError } from '../../src/errors/invalid-cursor-error.js';
import { waitFor } from '../support/wait-for.js';
import type { JobQueueHarness } from './job-queue-conformance.js';

export function describeJobJournalConformance(name: string, harness: JobQueueHarness): void {
  describe(`JobJournal conformance: ${name}`, () => {
    const opened: JobQueue[] = [];
    const consumers: Consumer[] = [];
    /** Two queues on one fresh store, as two processes would open it. */
    const openPair = async (): Promise<[JobQueue, JobQueue]> => {
      const config = configSchema.parse(await harness.freshConfig());
      const pair: [JobQueue, JobQueue] = [openJobQueue(config), openJobQueue(config)];
      opened.push(...pair);
      return pair;
    };
    const finishAll = (queue: JobQueue) => {
      const consumer = queue.consume({
        concurrency: 2,
        handler: async (ctx) => {
          await ctx.progress(50, 'segments');
          if (ctx.job.prompt.startsWith('fail')) throw new Error('no segment');
          return { artifactUri: `file:///a/${ctx.job.id}.mp4`, artifactKey: `k/${ctx.job.id}`, gcsUri: null };
        },
      });
      consumers.push(consumer);
    };
    const settled = (queue: JobQueue, id: string) =>
      waitFor(
        async () => {
          const job = await queue.get(id);
          return job && ['finished', 'failed', 'canceled'].includes(job.status) ? job : null;
        },
        { timeoutMs: 30_000 },
      );

    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.close(0)));
      await Promise.all(opened.splice(0).map((q) => q.close()));
      await harness.cleanup?.();
    });

    it("lists every job's events in one order, matching each job's own journal", async () => {
      const [a, b] = await openPair();
      const first = (await a.submit({ prompt: 'one' })).job.id;
      const second = (await b.submit({ prompt: 'two' })).job.id;
      await a.appendLog(first, 'after the second');
      const before = Date.now();
      const all = await b.journal(null, 100);
      expect(all.map((e) => e.jobId)).toEqual([first, first, second, second, first]);
      for (const jobId of [first, second]) {
        const own = (await a.events(jobId, null))!;
        expect(all.filter((e) => e.jobId === jobId).map((e) => [e.eventId, e.type, e.data])).toEqual(
          own.map((e) => [e.id, e.type, e.data]),
        );
      }
      expect(all.every((e) => e.at > before - 60_000 && e.at <= Date.now())).toBe(true);
      expect(all[0]!.data).toEqual({ status: 'queued', stage: 'queued', progress: 0, error: null, artifact_uri: null });
      // Paged: after an id, the rest in the same order.
      const page = await a.journal(all[1]!.id, 2);
      expect(page.map((e) => e.id)).toEqual([all[2]!.id, all[3]!.id]);
      // Ids compare in journal order (the webhook dispatcher's per-job marks rely on it).
      for (let i = 1; i < all.length; i += 1) {
        expect(compareJournalIds(all[i - 1]!.id, all[i]!.id)).toBeLessThan(0);
        expect(compareJournalIds(all[i]!.id, all[i - 1]!.id)).toBeGreaterThan(0);
        expect(compareJournalIds(all[i]!.id, all[i]!.id)).toBe(0);
      }
      await expect(a.journal('not a cursor', 10)).rejects.toBeInstanceOf(InvalidCursorError);
    });

    it('status entries carry what a webhook needs, through to finished and canceled', async () => {
      const [a] = await openPair();
      const done = (await a.submit({ prompt: 'finish me' })).job.id;
      finishAll(a);
      await settled(a, done);
      const canceled = (await a.submit({ prompt: 'cancel me' })).job.id;
      await a.cancel(canceled);
      await settled(a, canceled);
      const status = (await a.journal(null, 500)).filter((e) => e.type === 'status');
      const of = (id: string) => status.filter((e) => e.jobId === id).map((e) => e.data.status);
      expect(of(done)).toEqual(['queued', 'started', 'progress', 'finished']);
      expect(of(canceled).at(-1)).toBe('canceled');
      const finished = status.find((e) => e.jobId === done && e.data.status === 'finished')!;
      expect(finished.data).toEqual({
        status: 'finished',
        stage: 'done',
        progress: 100,
        error: null,
        artifact_uri: `file:///a/${done}.mp4`,
      });
      expect(
        (await a.journal(null, 500)).some((e) => e.jobId === done && e.type === 'progress' && e.data.progress === 50),
      ).toBe(true);
    });

    it('a follower moves its cursor by compare-and-set, with its counters and remembered payloads', async () => {
      const [a, b] = await openPair();
      const old = (await a.submit({ prompt: 'before the follower' })).job.id;
      const fa = a.follower('test');
      const fb = b.follower('test');
      await fa.init(false);
      await fb.init(false); // already there: unchanged
      const { cursor } = await fb.state();
      expect(cursor).not.toBeNull();
      expect((await a.journal(cursor, 10)).some((e) => e.jobId === old)).toBe(false);
      const fresh = (await b.submit({ prompt: 'after' })).job.id;
      const next = await a.journal(cursor, 10);
      expect(next.map((e) => e.jobId)).toEqual([fresh, fresh]);
      const to = next[1]!.id;
      await fa.remember('k1', 'body one');
      expect(await fb.recall('k1')).toBe('body one');
      await fb.remember('k1', 'another body'); // the first one stays
      expect(await fa.recall('k1')).toBe('body one');
      await fa.put('k2', 'mark one');
      await fa.put('k2', 'mark two'); // put replaces
      expect(await fb.recall('k2')).toBe('mark two');
      expect(await fa.commit(cursor, to, { increments: { seen: 2 }, forget: ['k1', 'k2'] })).toBe(true);
      expect(await fb.commit(cursor, to, { increments: { seen: 2 } })).toBe(false); // stale expectation
      expect(await fb.state()).toEqual({ cursor: to, counters: { seen: 2 } });
      expect(await fa.recall('k1')).toBeNull();
      expect(await fa.recall('k2')).toBeNull();
      // A follower created from the start sees history.
      const counting = b.follower('from-start');
      await counting.init(true);
      expect((await counting.state()).cursor).toBeNull();
    });

    it('one lease holder at a time; a commit for a holder that lost the lease fails', async () => {
      const [a, b] = await openPair();
      const fa = a.follower('leased');
      const fb = b.follower('leased');
      await fa.init(false);
      const { cursor } = await fa.state();
      await a.submit({ prompt: 'x' });
      const to = (await a.journal(cursor, 1))[0]!.id;
      expect(await fa.lease('A', 60_000)).toBe(true);
      expect(await fb.lease('B', 60_000)).toBe(false);
      expect(await fa.lease('A', 60_000)).toBe(true); // renewal
      expect(await fb.commit(cursor, to, { owner: 'B' })).toBe(false);
      await fb.release('B'); // not the holder: no effect
      expect(await fb.lease('B', 60_000)).toBe(false);
      await fa.release('A');
      expect(await fb.lease('B', 300)).toBe(true);
      expect(await fa.commit(cursor, to, { owner: 'A' })).toBe(false);
      // An expired lease is taken over.
      await waitFor(async () => fa.lease('A', 60_000), { timeoutMs: 10_000 });
      expect(await fa.commit(cursor, to, { owner: 'A' })).toBe(true);
    });

    it('job counters count each outcome once when two processes catch up at once', async () => {
      const [a, b] = await openPair();
      const ids = [
        (await a.submit({ prompt: 'ok 1' })).job.id,
        (await a.submit({ prompt: 'ok 2' })).job.id,
        (await a.submit({ prompt: 'fail 1' })).job.id,
      ];
      const ca = new JobCounters(a);
      const cb = new JobCounters(b);
      expect(await ca.read()).toEqual({ finished: 0, failed: 0, canceled: 0 });
      finishAll(a);
      for (const id of ids) await settled(a, id);
      // No consumer left to claim (and finish) the job before it is canceled.
      await Promise.all(consumers.splice(0).map((c) => c.close(0)));
      await a.cancel((await b.submit({ prompt: 'cancel' })).job.id);
      const failed = (await a.get(ids[2]!))!.status === 'failed' ? 1 : 0;
      expect(failed).toBe(1);
      const [ra, rb] = await Promise.all([ca.read(), cb.read()]);
      expect(ra).toEqual({ finished: 2, failed: 1, canceled: 1 });
      expect(rb).toEqual(ra);
      // Deleting a job does not take it out of the totals.
      await a.remove(ids[0]!);
      expect(await new JobCounters(b).read()).toEqual({ finished: 2, failed: 1, canceled: 1 });
    });
  });
}
