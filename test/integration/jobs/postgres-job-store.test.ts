// What only the PostgreSQL job store has to show, beyond the conformance suites: two queue instances
// (two pools, as two processes) claim disjoint jobs under concurrency and keep a key's concurrent-job
// limit exactly; NOTIFYs reach watchers and cancel listeners of another instance; two instances
// migrate one fresh schema at once; an unreachable server fails request calls within ~2 s as
// StoreUnavailableError (the API's 503).
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJobQueue } from '../../../src/jobs/postgres/postgres-job-queue.js';
import type { Lease, LeaseStore } from '../../../src/jobs/lease-store.js';
import type { PostgresConfig } from '../../../src/config/schema.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';
import { assertPostgresReachable, testPostgresConfig, TEST_POSTGRES_URL } from '../../support/postgres.js';
import { waitFor } from '../../support/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
beforeAll(assertPostgresReachable);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** `n` queue instances on one fresh schema; each has its own pool and LISTEN connection. */
function instances(n: number, config: PostgresConfig = fresh()): PostgresJobQueue[] {
  const queues = Array.from({ length: n }, () => new PostgresJobQueue({ config, consumer: { heartbeatMs: 200 } }));
  cleanups.push(async () => {
    await Promise.all(queues.map((q) => q.close()));
  });
  return queues;
}

function fresh(): PostgresConfig {
  const schema = testPostgresConfig();
  cleanups.push(() => schema.drop());
  return schema.config;
}

function leasesOf(queue: PostgresJobQueue): LeaseStore {
  const leases = queue.openLeases();
  cleanups.push(() => leases.close());
  return leases;
}

/** Waits until `queue`'s LISTEN connection hears `other`'s writes (probe log lines on the job). */
async function listening(queue: PostgresJobQueue, other: PostgresJobQueue, jobId: string): Promise<void> {
  let heard = false;
  const unwatch = queue.watch(jobId, () => {
    heard = true;
  });
  await waitFor(
    async () => {
      if (!heard) await other.appendLog(jobId, 'probe');
      return heard;
    },
    { what: 'the LISTEN connection' },
  );
  unwatch();
}

const never = new AbortController().signal;

describe('PostgreSQL job store', () => {
  it('two instances claiming concurrently take disjoint jobs, every job once', async () => {
    const [a, b] = instances(2);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i += 1) ids.add((await a!.submit({ prompt: `job ${i}` })).job.id);
    const claimed: string[] = [];
    const claimer = async (leases: LeaseStore) => {
      for (;;) {
        const lease = await leases.claim('w', 30_000, never);
        if (!lease) return;
        claimed.push(lease.job.id);
      }
    };
    const stores = [leasesOf(a!), leasesOf(b!)];
    // Eight claimers per instance; a claimer that finds nothing left (every candidate locked or taken) stops.
    await Promise.all(stores.flatMap((s) => Array.from({ length: 8 }, () => claimer(s))));
    // Whatever was skipped as locked by a claim that then committed is claimed by a last, lone pass.
    await claimer(stores[0]!);
    expect(claimed).toHaveLength(40);
    expect(new Set(claimed)).toEqual(ids);
    expect(await a!.stats()).toMatchObject({ queued: 0, active: 40, total: 40 });
  });

  it("keeps a key's max_concurrent_jobs exactly under concurrent claims from two instances, and serves other owners", async () => {
    const config = fresh();
    const [a, b] = instances(2, config);
    await a!.ping(); // migrated
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query(
      `INSERT INTO "${config.schema}".api_keys (id, secret_hash, name, scope, max_concurrent_jobs, created_at)
       VALUES ('limited', 'h1', 'limited', 'jobs', 2, now()::text)`,
    );
    for (let i = 0; i < 10; i += 1) await a!.submit({ prompt: `limited ${i}` }, { owner: 'limited' });
    const other = (await b!.submit({ prompt: 'other key' }, { owner: 'other' })).job.id;
    const stores = [leasesOf(a!), leasesOf(b!)];
    const leases = (
      await Promise.all(stores.flatMap((s) => Array.from({ length: 4 }, () => s.claim('w', 30_000, never))))
    ).filter((l): l is Lease => l !== null);
    const byOwner = (owner: string | null) => leases.filter((l) => l.job.owner_key_id === owner).length;
    expect(byOwner('limited')).toBe(2);
    expect(leases.some((l) => l.job.id === other)).toBe(true);
    expect(await stores[0]!.claim('w', 30_000, never)).toBeNull();
    // A slot frees: exactly one more of the limited key's jobs may start.
    const done = leases.find((l) => l.job.owner_key_id === 'limited')!;
    expect(await stores[1]!.finish(done, { artifactUri: 'file:///x', artifactKey: 'k', gcsUri: null }, 'done')).toBe(
      true,
    );
    const next = await stores[0]!.claim('w', 30_000, never);
    expect(next?.job.owner_key_id).toBe('limited');
    expect(await stores[1]!.claim('w', 30_000, never)).toBeNull();
  });

  it("notifies a watcher in one instance of another instance's journal writes (NOTIFY, no polling)", async () => {
    const [a, b] = instances(2);
    const { job } = await a!.submit({ prompt: 'watched' });
    await listening(a!, b!, job.id);
    let calls = 0;
    const unwatch = a!.watch(job.id, () => {
      calls += 1;
    });
    cleanups.push(async () => unwatch());
    await b!.appendLog(job.id, 'written by the other instance');
    await waitFor(async () => calls >= 1, { what: 'the watcher to hear the other instance' });
    const events = (await a!.events(job.id, null))!;
    expect(events.at(-1)?.data.line).toMatch(/written by the other instance$/);
  });

  it("delivers a cancel made by one instance to the other instance's onCancel listeners", async () => {
    const [a, b] = instances(2);
    const { job } = await a!.submit({ prompt: 'to cancel' });
    const leases = leasesOf(a!);
    const lease = await leases.claim('w', 30_000, never);
    expect(lease?.job.id).toBe(job.id);
    await listening(a!, b!, job.id);
    const heard: string[] = [];
    const off = leases.onCancel((id) => heard.push(id));
    cleanups.push(async () => off());
    expect((await b!.cancel(job.id)).outcome).toBe('canceled');
    await waitFor(async () => heard.includes(job.id), { what: 'the cancel in the other instance' });
    expect(await leases.state(lease!)).toBe('canceled');
  });

  it('migrates a fresh schema once when two instances open it at the same moment', async () => {
    const config = fresh();
    const [a, b] = instances(2, config);
    await Promise.all([a!.ping(), b!.ping(), a!.submit({ prompt: 'one' }), b!.submit({ prompt: 'two' })]);
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const { rows } = await admin.query(
      `SELECT version, name FROM "${config.schema}".schema_migrations ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 1, name: 'job store' },
      { version: 2, name: 'access' },
    ]);
    expect((await a!.stats()).queued).toBe(2);
  });

  describe('an unreachable server', () => {
    const timed = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      const error = await call().then(
        () => null,
        (err: unknown) => err,
      );
      return { error, ms: Date.now() - started };
    };

    it('refused connections: every request call fails fast as StoreUnavailableError', async () => {
      // Port 1 on loopback: nothing listens there, the connection is refused at once.
      const config = { url: 'postgres://postgres@127.0.0.1:1/test', pool_size: 2, schema: 'ttv_unreachable' };
      const [queue] = instances(1, config);
      for (const call of [() => queue!.submit({ prompt: 'x' }), () => queue!.get('x'), () => queue!.ping()]) {
        const { error, ms } = await timed(call);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(ms).toBeLessThan(2500);
      }
    });

    it('a server that accepts and never answers: request calls give up within ~2 s as StoreUnavailableError', async () => {
      const sockets = new Set<Socket>();
      const server: Server = createServer((socket) => {
        sockets.add(socket); // holds the connection, says nothing
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      cleanups.push(async () => {
        for (const s of sockets) s.destroy();
        server.close();
      });
      const port = (server.address() as { port: number }).port;
      const config = { url: `postgres://postgres@127.0.0.1:${port}/test`, pool_size: 2, schema: 'ttv_silent' };
      const [queue] = instances(1, config);
      const { error, ms } = await timed(() => queue!.submit({ prompt: 'x' }));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeGreaterThanOrEqual(1500);
      expect(ms).toBeLessThan(3500);
    });
  });
});
