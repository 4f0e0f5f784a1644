// Every paid second is paid once, on each vendor with a strict fake counting its creates: Runway,
// Veo 3.1 on Vertex AI (predictLongRunning / fetchPredictOperation), Gemini Omni (Interactions API)
// and MiniMax H3 (Video Generation V2).
// - A worker killed (SIGKILL) while a 3-segment job's second segment renders: the next process
//   re-attaches to the running task and reuses the first segment's clip, so exactly one create per
//   segment, and the job's cost counted once.
// - A cancel after the crash, from an API process with no worker: the recorded task is cancelled
//   where the vendor documents a cancel; where it does not, the job log says it cannot be stopped.
// - A create answered 500 after the vendor made the task: never sent again; the job fails as
//   "vendor outcome unknown" with exactly one task made.
// - A worker killed while a create is in flight (Runway: the task is made, its answer never read):
//   the next attempt finds the create marked as sent without a task and does not send it again.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../fakes/runway/fake-runway-server.js';
import { FakeVeoServer } from '../fakes/veo3/fake-veo-server.js';
import { FakeGeminiServer } from '../fakes/gemini/fake-gemini-server.js';
import { FakeMinimaxServer } from '../fakes/minimax/fake-minimax-server.js';
import { writeServiceAccount } from '../support/service-account.js';
import { submit, THREE_SEGMENTS } from '../support/backend-jobs.js';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor } from '../support/wait-for.js';
import { shippedCatalog } from '../../src/catalog/model-catalog.js';

/** What the tests need of one vendor and its fake. */
interface PaidOnceVendor {
  name: string;
  /** The config's backend id, named in job-log lines. */
  backend: string;
  seconds: number;
  usdPerSecond: number;
  start(dir: string): Promise<void>;
  stop(): Promise<void>;
  reset(): void;
  /** The YAML lines choosing this vendor (default_backend and its section). */
  config(): string[];
  /** Each task answers "still running" this many polls. */
  slow(polls: number): void;
  /** The next create makes its task and answers 500. */
  failNextCreate(): void;
  /** Tasks made so far, in creation order: the id the job log names, and how often it was polled. */
  tasks(): { id: string; polls: number }[];
  createCount(): number;
  reattached(id: string): string;
  /** After a cancel: a job-log line that proves it, and whether the fake saw the cancel (null: the vendor has none). */
  cancelled(id: string): { line: RegExp; reachedFake: boolean | null };
}

const price = (backend: string, model: string) => shippedCatalog().find(backend, model)!.usd_per_second;
const PROJECT = 'ttv-test-project';

/** The Runway fake itself, for the test that stalls a create (its onCreate hook). */
let runwayFake: FakeRunwayServer;

function runway(): PaidOnceVendor {
  const key = 'rw-test-key-0123456789';
  const fake = new FakeRunwayServer(key);
  runwayFake = fake;
  return {
    name: 'Runway',
    backend: 'runway',
    seconds: 5,
    usdPerSecond: price('runway', 'gen4_turbo'),
    start: async () => {
      await fake.start();
    },
    stop: () => fake.stop(),
    reset: () => fake.reset(),
    config: () => ['default_backend: runway', `runway_ml: { api_key: ${key}, base_url: "${fake.url}" }`],
    slow: (polls) => {
      fake.pollsUntilDone = polls;
    },
    failNextCreate: () => {
      fake.failAfterCreate = 1;
    },
    tasks: () => [...fake.tasks.values()],
    createCount: () => fake.createCount,
    reattached: (id) => `runway: re-attached to task ${id}`,
    cancelled: (id) => ({
      line: new RegExp(`Segment 2: runway: task ${id} cancelled`),
      reachedFake: fake.deletedTaskIds.includes(id),
    }),
  };
}

function veoOnVertex(): PaidOnceVendor {
  const fake = new FakeVeoServer({ apiKey: 'AIza-unused-0000000000', project: PROJECT });
  let credentials = '';
  return {
    name: 'Veo 3.1 on Vertex AI',
    backend: 'veo3',
    seconds: 6,
    usdPerSecond: price('veo3', 'veo-3.1-generate-001'),
    async start(dir) {
      await fake.start();
      const account = await writeServiceAccount(dir, fake.tokenUrl);
      fake.trustServiceAccount(account.publicKeyPem, account.clientEmail);
      credentials = account.file;
    },
    stop: () => fake.stop(),
    reset: () => fake.reset(),
    config: () => [
      'default_backend: veo3',
      `google_veo: { project_id: ${PROJECT}, credentials_path: "${credentials}", region: us-central1, api_endpoint: "${fake.url}", storage_endpoint: "${fake.url}", veo_model: veo-3.1-generate-001 }`,
    ],
    slow: (polls) => {
      fake.pollsUntilDone = polls;
    },
    failNextCreate: () => {
      fake.failAfterCreate = 1;
    },
    tasks: () => [...fake.operations.values()].map((o) => ({ id: o.name.split('/').pop()!, polls: o.polls })),
    createCount: () => fake.createCount,
    reattached: (id) => `veo3: re-attached to operation ${id}`,
    // Google documents no cancel for a Veo operation (nor does the fake have one).
    cancelled: (id) => ({
      line: new RegExp(
        `Segment 2: veo3: task ${id} cannot be stopped \\(Google documents no cancel for Veo operations\\) and keeps running; it may still bill`,
      ),
      reachedFake: null,
    }),
  };
}

function geminiOmni(): PaidOnceVendor {
  const key = 'AIza-test-omni-key-0123456789';
  const fake = new FakeGeminiServer(key);
  return {
    name: 'Gemini Omni (Interactions API)',
    backend: 'veo3',
    seconds: 6,
    usdPerSecond: price('veo3', 'gemini-omni-1.1-flash'),
    start: async () => {
      await fake.start();
    },
    stop: () => fake.stop(),
    reset: () => fake.reset(),
    config: () => [
      'default_backend: veo3',
      `google_veo: { api_key: ${key}, gemini_base_url: "${fake.url}", veo_model: gemini-omni-1.1-flash }`,
    ],
    slow: (polls) => {
      fake.interactions.pollsUntilDone = polls;
    },
    failNextCreate: () => {
      fake.interactions.failAfterCreate = 1;
    },
    tasks: () => [...fake.interactions.interactions.values()],
    createCount: () => fake.interactions.createCount,
    reattached: (id) => `veo3: re-attached to interaction ${id}`,
    cancelled: (id) => ({
      line: new RegExp(`Segment 2: veo3: cancel of interaction ${id} done`),
      reachedFake: fake.interactions.interactions.get(id)?.status === 'cancelled',
    }),
  };
}

function minimaxV2(): PaidOnceVendor {
  const key = 'mm-v2-test-key-0123456789';
  const fake = new FakeMinimaxServer(key);
  return {
    name: 'MiniMax H3 (Video Generation V2)',
    backend: 'minimax',
    seconds: 5,
    usdPerSecond: price('minimax', 'MiniMax-H3'),
    start: async () => {
      await fake.start();
    },
    stop: () => fake.stop(),
    reset: () => fake.reset(),
    config: () => [
      'default_backend: minimax',
      `minimax: { api_key: ${key}, base_url: "${fake.url}/v1", model: MiniMax-H3, max_duration: 15 }`,
    ],
    slow: (polls) => {
      fake.pollsUntilDone = polls;
    },
    failNextCreate: () => {
      fake.failAfterCreate = 1;
    },
    tasks: () => [...fake.tasks.values()],
    createCount: () => fake.createCount,
    reattached: (id) => `minimax: re-attached to task ${id}`,
    // MiniMax cancels a queued task only; task 2 has been polled into "running", so the DELETE is refused.
    cancelled: (id) => ({
      line: new RegExp(
        `Segment 2: minimax: task ${id} cannot be stopped \\(MiniMax cancels a task only while it is queued\\) and keeps running; it may still bill`,
      ),
      reachedFake: fake.requests.some((r) => r.method === 'DELETE' && r.path === `/v2/video_generation/${id}`),
    }),
  };
}

const vendors = [runway(), veoOnVertex(), geminiOmni(), minimaxV2()];
const procs: TtvProcess[] = [];
const dirs: string[] = [];
let keys: string;
beforeAll(async () => {
  keys = await mkdtemp(join(tmpdir(), 'ttv-paid-once-keys-'));
  await Promise.all(vendors.map((v) => v.start(keys)));
});
afterAll(async () => {
  await Promise.all(vendors.map((v) => v.stop()));
  await rm(keys, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  for (const v of vendors) v.reset();
});

async function job(url: string, id: string) {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

async function jobLines(url: string, id: string): Promise<string[]> {
  return ((await (await fetch(`${url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines;
}

async function ended(url: string, id: string, what: string) {
  return waitFor(
    async () => {
      const j = await job(url, id);
      return j.status === 'finished' || j.status === 'failed' ? j : null;
    },
    { timeoutMs: 90_000, what },
  );
}

/** A ttv process on a fresh data dir with the vendor's config, and a submitted 3-segment job. */
async function startWithJob(vendor: PaidOnceVendor) {
  const dataDir = await mkdtemp(join(tmpdir(), 'ttv-paid-once-'));
  dirs.push(dataDir);
  const configFile = join(dataDir, 'ttv.yaml');
  await writeFile(
    configFile,
    [
      ...vendor.config(),
      `segment_duration_seconds: ${vendor.seconds}`,
      // The fakes are not the vendors: their polls need not respect a vendor's floor (docs/vendor-behaviour.md).
      'remote_api_settings: { polling_interval: 0.05, polling_interval_floor_override: true, retry_base_seconds: 0.01, max_retries: 2, timeout: 60 }',
      'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 }',
      '',
    ].join('\n'),
  );
  const args = ['serve', '--config', configFile, '--port', '0', '--data-dir', dataDir];
  const first = await startTtv(args);
  procs.push(first);
  const id = await submit(first, THREE_SEGMENTS);
  return { dataDir, args, first, id };
}

/** The job started, and its worker killed while task 2 renders (segment 1 finished). */
async function killedWhileTaskTwoRenders(vendor: PaidOnceVendor) {
  // Each task answers "running" for a while, so the kill lands while task 2 renders.
  const pollsUntilDone = 20;
  vendor.slow(pollsUntilDone);
  const { dataDir, args, first, id } = await startWithJob(vendor);
  await waitFor(
    async () => {
      const tasks = vendor.tasks();
      return tasks.length === 2 && tasks[1]!.polls >= 2 ? true : null;
    },
    { timeoutMs: 60_000, what: 'task 2 rendering' },
  );
  const task2 = vendor.tasks()[1]!;
  await first.kill('SIGKILL');
  expect(vendor.tasks()[1]!.polls).toBeLessThan(pollsUntilDone);
  return { dataDir, args, id, task2 };
}

describe.each(vendors)('paid once on $name', (vendor) => {
  it('a worker killed mid-segment: the next attempt re-attaches to the running task and reuses the finished segment (one create per segment)', async () => {
    const { dataDir, args, id, task2 } = await killedWhileTaskTwoRenders(vendor);

    const second = await startTtv(args);
    procs.push(second);
    const finished = await ended(second.url, id, 'job to end after restart');
    const lines = await jobLines(second.url, id);
    expect(finished.status, lines.join('\n')).toBe('finished');
    expect(vendor.createCount()).toBe(3);
    expect(lines.some((l) => l.includes('Video generation started (attempt 2,'))).toBe(true);
    expect(
      lines.some((l) =>
        new RegExp(
          `Segment 1: reused the clip an earlier attempt finished \\(${vendor.backend} task [\\w-]+; not paid again\\)`,
        ).test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.includes(vendor.reattached(task2.id)))).toBe(true);
    // Three segments, each counted once.
    expect(finished.estimated_cost_usd).toBeCloseTo(3 * vendor.seconds * vendor.usdPerSecond, 5);
    // The kept segments are removed with the job's end.
    await waitFor(async () => ((await readdir(join(dataDir, 'segments')).catch(() => [])).length === 0 ? true : null), {
      what: 'kept segments removed',
    });
  });

  it('a cancel after the crash (an API process, no worker) reaches the recorded task where the vendor can cancel, and the job log says so where it cannot', async () => {
    const { args, id, task2 } = await killedWhileTaskTwoRenders(vendor);
    const api = await startTtv([...args, '--no-worker']);
    procs.push(api);
    const res = await fetch(`${api.url}/v1/jobs/${id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    const { line, reachedFake } = vendor.cancelled(task2.id);
    await waitFor(async () => ((await jobLines(api.url, id)).some((l) => line.test(l)) ? true : null), {
      what: `the cancel line ${line}`,
    });
    if (reachedFake !== null) expect(vendor.cancelled(task2.id).reachedFake).toBe(true);
    // Only the unfinished task: segment 1's finished one is not touched.
    const lines = await jobLines(api.url, id);
    expect(lines.some((l) => /Segment 1: .*(cancel|cannot be stopped)/i.test(l))).toBe(false);
    expect(vendor.createCount()).toBe(2);
  });

  it('a create answered 500 after the vendor made the task is not sent again: one task, and the job fails as "vendor outcome unknown"', async () => {
    vendor.failNextCreate();
    const { first, id } = await startWithJob(vendor);
    const failed = await ended(first.url, id, 'job to fail');
    expect(failed.status).toBe('failed');
    expect(String(failed.error)).toMatch(
      new RegExp(`Segment 1 failed: ${vendor.backend}: vendor outcome unknown: the create call answered HTTP 500`),
    );
    expect(vendor.createCount()).toBe(1);
    const lines = await jobLines(first.url, id);
    expect(lines.some((l) => /Segment 2/.test(l))).toBe(false);
  });
});

describe('paid once when a worker dies while a create is in flight (Runway)', () => {
  it('the next attempt does not send the create again: the job fails "vendor outcome unknown", with no second task for the segment', async () => {
    const vendor = vendors[0]!;
    const fake = runwayFake;
    let kill: (() => Promise<void>) | null = null;
    // Task 2 exists at Runway, but its worker dies before the id arrives: no one can find it again.
    fake.onCreate = async () => {
      if (fake.createCount === 2) await kill?.();
    };
    const { args, first, id } = await startWithJob(vendor);
    kill = () => first.kill('SIGKILL');
    await waitFor(async () => (first.child.signalCode === 'SIGKILL' ? true : null), {
      timeoutMs: 60_000,
      what: 'the kill during create 2',
    });
    fake.onCreate = null;

    const second = await startTtv(args);
    procs.push(second);
    const failed = await ended(second.url, id, 'job to end after restart');
    const lines = await jobLines(second.url, id);
    expect(failed.status, lines.join('\n')).toBe('failed');
    expect(String(failed.error)).toMatch(
      /runway: vendor outcome unknown: the create call was in flight when an earlier attempt of this job ended/,
    );
    // Segment 1's task and the one in flight: no third create, for segment 2 or any other.
    expect(vendor.createCount()).toBe(2);
    expect(lines.some((l) => l.includes('Video generation started (attempt 2,'))).toBe(true);
    expect(lines.some((l) => /Segment 1: reused the clip an earlier attempt finished/.test(l))).toBe(true);
  });
});
