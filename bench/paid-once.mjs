// Benchmark (issue #30, "every paid second is paid once"): vendor tasks created per rendered segment
// and USD spent per finished video, across a fault matrix, on real `ttv` processes (dist/) against
// the Runway fake (test/fakes/runway, strict as the vendor; it runs in this process, so every create,
// poll and download it answers is counted here, not by ttv).
//
// Rows: no fault; worker SIGKILL while a create is in flight (the fake creates the task, the worker
// dies before it reads the answer); worker SIGKILL while a task is polled; worker SIGKILL while a
// clip downloads; API SIGKILL mid-run, then a new API process (workers run on); Redis CLIENT PAUSE
// past the lease (real redis-server, two workers); a create the fake stores and then answers 500.
// Each row is a fresh fake and a fresh store: `--jobs` 3-segment jobs submitted at once, one fault
// per row, a new process for the one killed, and every job followed to its end.
//
// USD is the fake's own ledger: every task it created, its requested seconds times the catalog price
// of its model (src/catalog/vendors/runway.json); ttv's estimated_cost_usd is printed beside it.
// A task is mapped to its job and segment by a marker in each sentence of the prompt, which the
// planner keeps in the segment's video prompt (checked: a create without one fails the row).
//
// The bench exits non-zero when a row could not be measured (fault never fired, a job lost, a job
// that ended in a way the row does not expect) or a segment was paid twice. A missed target is shown
// as "no" and does not fail the run.
//
// `npm run bench:paid-once [-- --jobs N] [--concurrency N]` (default 3 jobs per row, one at a time per
// worker; --quick: 2 jobs); --json FILE for bench:all; --rows no-fault,kill-poll,… for diagnosis.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import ts from 'typescript';
import { stringify } from 'yaml';
import { BenchProcesses, freePort, getJson, postJson, waitForOutput, repoRoot } from './lib/processes.mjs';
import { figure, finishBench, machine } from './lib/report.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    generators: { type: 'string' }, // bench:all passes it to every bench; nothing here generates load
    jobs: { type: 'string' },
    concurrency: { type: 'string' },
    rows: { type: 'string' }, // comma-separated row ids, for diagnosis
  },
  strict: true,
});
const JOBS = opts.jobs ? Number(opts.jobs) : opts.quick ? 2 : 3;
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error('--jobs: a positive integer');
// One job at a time per worker by default, so that a kill lands on the moment its row names; with
// more, a kill also cuts whatever the other jobs were doing (a create in flight among them).
const CONCURRENCY = opts.concurrency ? Number(opts.concurrency) : 1;
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) throw new Error('--concurrency: a positive integer');
const SEGMENTS = 3;
const SEGMENT_SECONDS = 5;
const KEY = 'rw-bench-key-0123456789';
/** Polls each fake task answers before SUCCEEDED (at 0.05 s a poll: about half a second of rendering). */
const POLLS_UNTIL_DONE = 10;
/** How long a job may go without any job of its row changing state before the row is called stuck. */
const STALL_MS = 90_000;
const run = promisify(execFile);
const procs = new BenchProcesses();

/** The fake, transpiled from test/fakes (TypeScript) into a temp dir that sees the repo's node_modules. */
async function loadRunwayFake() {
  const out = procs.tempDir('fakes');
  symlinkSync(join(repoRoot, 'node_modules'), join(out, 'node_modules'), 'dir');
  for (const sub of ['test/fakes/shared', 'test/fakes/runway']) {
    for (const name of readdirSync(join(repoRoot, sub)).filter((n) => n.endsWith('.ts'))) {
      const source = readFileSync(join(repoRoot, sub, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      });
      const target = join(out, sub, name.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  return (await import(pathToFileURL(join(out, 'test/fakes/runway/fake-runway-server.js')).href)).FakeRunwayServer;
}

const FakeRunwayServer = await loadRunwayFake();
const catalog = JSON.parse(readFileSync(join(repoRoot, 'src/catalog/vendors/runway.json'), 'utf8'));
const usdPerSecond = new Map(catalog.rows.map((r) => [r.id, r.usd_per_second]));

const MARKER = /\bmk(\d+)x(\d+)\b/;

/**
 * The Runway fake with hooks at the three moments a fault is aimed at (a create arriving, a poll
 * answered, a clip asked for) and a ledger per task: its job and segment (from the prompt's marker),
 * seconds, model, polls, whether its clip was fetched.
 */
class CountingRunway extends FakeRunwayServer {
  constructor(key) {
    super(key);
    this.ledger = new Map(); // task id → { job, segment, seconds, model, downloaded }
    this.unmapped = 0;
    this.creates = 0;
    this.faultOnCreate = null; // async (n, proceed) => void; n is the 1-based create number
    this.faultOnPoll = null; // (task, n) => void, after the answer is sent
    this.faultOnDownload = null; // async (task, n, proceed) => void
  }

  async handle(req, res) {
    const path = req.path.split('?')[0];
    if (req.method === 'POST' && (path === '/v1/image_to_video' || path === '/v1/text_to_video')) {
      this.creates += 1;
      const n = this.creates;
      const before = new Set(this.tasks.keys());
      const proceed = () => {
        super.handle(req, res);
        for (const [id] of this.tasks) if (!before.has(id)) this.noteTask(id, req.body);
      };
      if (this.faultOnCreate) return this.faultOnCreate(n, proceed);
      return proceed();
    }
    const download = /^\/files\/([\w-]+)\.mp4$/.exec(path);
    if (req.method === 'GET' && download) {
      const entry = this.ledger.get(download[1]);
      const proceed = () => {
        if (entry) entry.downloaded = true;
        return super.handle(req, res);
      };
      if (this.faultOnDownload && entry) return this.faultOnDownload(entry, proceed);
      return proceed();
    }
    super.handle(req, res);
    const poll = /^\/v1\/tasks\/([\w-]+)$/.exec(path);
    if (req.method === 'GET' && poll && this.faultOnPoll) {
      const entry = this.ledger.get(poll[1]);
      if (entry) this.faultOnPoll(entry, this.tasks.get(poll[1]));
    }
  }

  noteTask(id, rawBody) {
    const body = JSON.parse(rawBody.toString());
    const m = MARKER.exec(String(body.promptText ?? ''));
    if (!m) this.unmapped += 1;
    const seconds = typeof body.duration === 'number' ? body.duration : SEGMENT_SECONDS;
    this.ledger.set(id, {
      id,
      n: this.ledger.size + 1,
      job: m ? Number(m[1]) : -1,
      segment: m ? Number(m[2]) : -1,
      seconds,
      model: String(body.model),
      downloaded: false,
    });
  }
}

/** A job's prompt: three sentences, each carrying its job and segment marker. */
const prompt = (job) =>
  [
    `A lighthouse keeper climbs the stairs at dawn mk${job}x1.`,
    `Waves break on the black rocks below mk${job}x2.`,
    `Gulls circle over the grey sea mk${job}x3.`,
  ].join(' ');

function ttvConfig(runwayUrl, redisUrl) {
  return {
    default_backend: 'runway',
    segment_duration_seconds: SEGMENT_SECONDS,
    runway_ml: { api_key: KEY, base_url: runwayUrl },
    // The fake is not Runway: its polls need not respect Runway's 5 s floor (docs/vendor-behaviour.md).
    remote_api_settings: {
      polling_interval: 0.05,
      polling_interval_floor_override: true,
      retry_base_seconds: 0.01,
      max_retries: 2,
      timeout: 120,
    },
    worker: redisUrl
      ? { concurrency: CONCURRENCY, lease_seconds: 2, heartbeat_seconds: 0.5, max_attempts: 3 }
      : { concurrency: CONCURRENCY, lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 },
    security: { rate_limit_per_minute: 1_000_000, read_rate_limit_per_minute: 1_000_000 },
    logging: { level: 'warn' },
    ...(redisUrl ? { redis: { url: redisUrl, key_prefix: `ttv-paid-${Date.now()}` } } : {}),
  };
}

/** Waits for /readyz: the store answers and a worker is live (a cold store's first commands can outlast a request timeout). */
async function ready(url) {
  const deadline = Date.now() + 60_000;
  while (
    (await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    )) !== 200
  ) {
    if (Date.now() > deadline) throw new Error(`ttv api at ${url} not ready after 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `ttv serve --no-worker` or `ttv worker` on a shared data dir; resolves when it listens (or, for a worker, has started). */
async function startTtv(kind, dir, configFile) {
  const port = kind === 'api' ? await freePort() : null;
  const args =
    kind === 'api'
      ? ['serve', '--no-worker', '--config', configFile, '--port', String(port), '--data-dir', dir]
      : ['worker', '--config', configFile, '--data-dir', dir];
  const child = procs.track(
    spawn(process.execPath, [join(repoRoot, 'bin/ttv.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const ready = kind === 'api' ? /ttv: listening on (http:\/\/\S+)/ : /ttv: worker (\S+) started/;
  const found = await waitForOutput(child, [child.stdout, child.stderr], ready, `ttv ${kind}`);
  return { child, url: kind === 'api' ? found : null };
}

async function sigkill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The task whose number is this fires the row's fault: with one job at a time, the first job's segment 2 (segment 1 is then reused). */
const FAULT_AT = CONCURRENCY === 1 ? 2 : CONCURRENCY + 1;

const ROWS = [
  { id: 'no-fault', label: 'no fault', store: 'sqlite' },
  // The create in flight at the kill may have made a task no one can find (Runway lists none): its job
  // fails "vendor outcome unknown" rather than paying again; counted, not a problem of the bench.
  {
    id: 'kill-create',
    label: 'worker kill -9 during create',
    store: 'sqlite',
    crash: true,
    unknownOutcomeExpected: true,
  },
  // With --concurrency > 1 the kill can also cut another job's create in flight: the same outcome.
  {
    id: 'kill-poll',
    label: 'worker kill -9 during poll',
    store: 'sqlite',
    crash: true,
    unknownOutcomeExpected: CONCURRENCY > 1,
  },
  {
    id: 'kill-download',
    label: 'worker kill -9 during download',
    store: 'sqlite',
    crash: true,
    unknownOutcomeExpected: CONCURRENCY > 1,
  },
  { id: 'api-restart', label: 'API kill -9 + restart', store: 'sqlite', crash: true },
  { id: 'redis-pause', label: 'Redis CLIENT PAUSE past the lease', store: 'redis', crash: true, workers: 2 },
  { id: 'create-500', label: '5xx on create (task made, 500 answered)', store: 'sqlite', unknownOutcomeExpected: true },
].filter((r) => !opts.rows || opts.rows.split(',').includes(r.id));

async function measure(row) {
  const runway = new CountingRunway(KEY);
  runway.pollsUntilDone = POLLS_UNTIL_DONE;
  await runway.start();
  try {
    return await measureOn(row, runway);
  } finally {
    await runway.stop();
  }
}

async function measureOn(row, runway) {
  const problems = [];
  const notes = [];
  const redis = row.store === 'redis' ? await procs.redis() : null;
  const dir = procs.tempDir(row.id);
  const configFile = join(dir, 'ttv.yaml');
  writeFileSync(configFile, stringify(ttvConfig(runway.url, redis?.url)));
  let api = await startTtv('api', dir, configFile);
  const workers = [];
  for (let i = 0; i < (row.workers ?? 1); i += 1) workers.push(await startTtv('worker', dir, configFile));
  await ready(api.url);
  const started = Date.now();

  // The fault: armed once, fired by the fake at its moment; `fired` resolves when the system is
  // whole again (the killed process replaced), so the bench never races its own restart.
  let fired = null;
  const fire = (what) => {
    if (fired) return;
    fired = what().then(
      () => ({ at: Date.now() - started }),
      (err) => {
        problems.push(`fault: ${err.message}`);
      },
    );
  };
  const replaceWorker = async () => {
    const victim = workers.shift();
    await sigkill(victim.child);
    workers.push(await startTtv('worker', dir, configFile));
  };
  switch (row.id) {
    case 'kill-create':
      // The task exists at the vendor; the worker never reads the answer.
      runway.faultOnCreate = async (n, proceed) => {
        if (n !== FAULT_AT || fired) return proceed();
        const victim = workers[0];
        await sigkill(victim.child);
        proceed();
        fire(async () => {
          workers.shift();
          workers.push(await startTtv('worker', dir, configFile));
        });
      };
      break;
    case 'kill-poll':
      runway.faultOnPoll = (entry, task) => {
        if (entry.n === FAULT_AT && task.polls === 3) fire(replaceWorker);
      };
      break;
    case 'kill-download':
      runway.faultOnDownload = async (entry, proceed) => {
        if (entry.n !== FAULT_AT || fired) return proceed();
        const victim = workers[0];
        await sigkill(victim.child);
        proceed();
        fire(async () => {
          workers.shift();
          workers.push(await startTtv('worker', dir, configFile));
        });
      };
      break;
    case 'api-restart':
      runway.faultOnPoll = (entry, task) => {
        if (entry.n === FAULT_AT && task.polls === 3)
          fire(async () => {
            await sigkill(api.child);
            api = await startTtv('api', dir, configFile);
            await ready(api.url);
          });
      };
      break;
    case 'redis-pause':
      // Past the 2 s lease: the jobs' leases lapse while their attempts still run.
      runway.faultOnPoll = (entry, task) => {
        if (entry.n === FAULT_AT && task.polls === 2)
          fire(() => run('redis-cli', ['-p', String(redis.port), 'CLIENT', 'PAUSE', '5000', 'ALL']));
      };
      break;
    case 'create-500':
      runway.faultOnCreate = async (n, proceed) => {
        if (n === FAULT_AT && !fired) {
          runway.failAfterCreate = 1;
          fire(async () => {});
        }
        proceed();
      };
      break;
    default:
  }

  const ids = [];
  for (let j = 1; j <= JOBS; j += 1)
    ids.push({ job: j, id: (await postJson(`${api.url}/v1/jobs`, { prompt: prompt(j) })).id });

  // Follow every job to its end, bounded by progress: the row is stuck when nothing changes for STALL_MS.
  const TERMINAL = new Set(['finished', 'failed', 'canceled']);
  const final = new Map();
  let lastChange = Date.now();
  let lastSeen = '';
  while (final.size < ids.length) {
    if (fired) await fired;
    const seen = [];
    for (const { job, id } of ids) {
      if (final.has(job)) continue;
      const j = await getJson(`${api.url}/v1/jobs/${id}`).catch((err) => ({
        status: `unreadable (${err.message.slice(0, 80)})`,
      }));
      seen.push(`${job}:${j.status}:${j.progress}`);
      if (TERMINAL.has(j.status)) final.set(job, j);
    }
    const key = `${seen.join(',')}|${runway.requests.length}`;
    if (key !== lastSeen) {
      lastSeen = key;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > STALL_MS) {
      problems.push(
        `jobs lost: ${ids
          .filter(({ job }) => !final.has(job))
          .map(({ id }) => id)
          .join(', ')} never ended (${seen.join(', ')})`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - started) / 1000;
  if (fired) await fired;
  if (row.id !== 'no-fault' && !fired) problems.push('the fault never fired: row not measured');

  // Every job's log: started/completed lines, and the failure reason of failed ones.
  const logs = new Map();
  for (const { job, id } of ids) {
    const { lines } = await getJson(`${api.url}/v1/jobs/${id}/logs?tail=0`);
    logs.set(job, lines);
  }
  const finished = ids.filter(({ job }) => final.get(job)?.status === 'finished');
  const failed = ids.filter(({ job }) => final.get(job) && final.get(job).status !== 'finished');
  const unknownOutcome = failed.filter(({ job }) => /vendor outcome unknown/.test(String(final.get(job).error ?? '')));
  for (const { job, id } of finished) {
    const completions = logs.get(job).filter((l) => l.includes('Video generation completed')).length;
    if (completions !== 1) problems.push(`job ${id} completed ${completions} times`);
  }
  if (row.unknownOutcomeExpected) {
    if (failed.length !== unknownOutcome.length)
      problems.push(
        `failed jobs other than "vendor outcome unknown": ${failed
          .filter((f) => !unknownOutcome.includes(f))
          .map(({ job }) => `${ids[job - 1].id} (${final.get(job).status}: ${final.get(job).error})`)
          .join('; ')}`,
      );
  } else if (failed.length) {
    problems.push(
      `jobs that did not finish: ${failed.map(({ job }) => `${ids[job - 1].id} (${final.get(job).status}: ${final.get(job).error})`).join('; ')}`,
    );
  }

  // The fake's ledger.
  if (runway.unmapped) problems.push(`${runway.unmapped} task(s) whose prompt lost its job/segment marker`);
  const tasks = [...runway.ledger.values()];
  const perSegment = new Map();
  for (const t of tasks)
    perSegment.set(`${t.job}.${t.segment}`, [...(perSegment.get(`${t.job}.${t.segment}`) ?? []), t]);
  const doubled = [...perSegment.entries()].filter(([, ts]) => ts.length > 1);
  for (const [key, ts] of doubled) {
    const [job, segment] = key.split('.').map(Number);
    problems.push(
      `segment ${segment} of job ${ids[job - 1]?.id} was paid ${ts.length} times (tasks ${ts.map((t) => t.id).join(', ')})`,
    );
  }
  const rendered = new Set(tasks.filter((t) => t.downloaded).map((t) => `${t.job}.${t.segment}`)).size;
  const usd = tasks.reduce((s, t) => {
    const price = usdPerSecond.get(t.model);
    if (price === undefined) problems.push(`task ${t.id}: model ${t.model} has no catalog price`);
    return s + t.seconds * (price ?? NaN);
  }, 0);
  const ttvUsd = finished.reduce((s, { job }) => s + Number(final.get(job).estimated_cost_usd ?? NaN), 0);
  const attempts = [...logs.values()].map(
    (lines) => lines.filter((l) => l.includes('Video generation started (attempt')).length,
  );
  notes.push(
    `${row.label}: ${seconds.toFixed(1)} s; attempts per job ${attempts.join(', ')}; fake: ${runway.creates} create calls, ${runway.deletedTaskIds.length} task(s) cancelled${unknownOutcome.length ? `; ${unknownOutcome.length} job(s) failed "vendor outcome unknown"` : ''}`,
  );

  await Promise.all([api.child, ...workers.map((w) => w.child)].map((c) => procs.stop(c)));
  if (redis) await procs.stop(redis.child);
  return {
    label: row.label,
    id: row.id,
    crash: !!row.crash,
    jobs: ids.length,
    finished: finished.length,
    unknownOutcome: unknownOutcome.length,
    segmentsRendered: rendered,
    tasks: tasks.length,
    maxPerSegment: Math.max(0, ...[...perSegment.values()].map((ts) => ts.length)),
    usd,
    usdPerVideo: finished.length ? usd / finished.length : NaN,
    ttvUsdPerVideo: finished.length ? ttvUsd / finished.length : NaN,
    seconds,
    problems,
    notes,
  };
}

const runs = [];
try {
  for (const row of ROWS) {
    process.stderr.write(`paid-once: ${row.label}…\n`);
    try {
      runs.push(await measure(row));
    } catch (err) {
      runs.push({ label: row.label, id: row.id, problems: [`not measured: ${err.stack ?? err}`], notes: [] });
    }
  }
} finally {
  await procs.stopAll();
}

const base = runs.find((r) => r.id === 'no-fault');
const pct = (v) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;
for (const r of runs) {
  if (r.tasks === undefined) continue;
  r.perSegment = r.segmentsRendered ? r.tasks / r.segmentsRendered : NaN;
  r.delta = base?.usdPerVideo ? r.usdPerVideo / base.usdPerVideo - 1 : NaN;
  // Crash rows: one task per rendered segment and nothing more paid per video; 5xx: no segment paid twice.
  if (r.id === 'create-500') r.met = r.maxPerSegment <= 1;
  else if (r.id === 'no-fault') r.met = r.perSegment === 1;
  else r.met = r.perSegment === 1 && Math.abs(r.delta) < 1e-9 && r.finished === r.jobs;
}
const head = [
  'row',
  'jobs',
  'segments rendered',
  'tasks created',
  'tasks/segment',
  'USD/video (fake)',
  'USD/video (ttv est.)',
  'Δ vs no-fault',
  'met target',
];
const cells = runs.map((r) =>
  r.tasks === undefined
    ? [r.label, '–', '–', '–', '–', '–', '–', '–', 'not measured']
    : [
        r.label,
        r.finished === r.jobs
          ? String(r.jobs)
          : `${r.jobs} (${r.finished} finished${r.unknownOutcome ? `, ${r.unknownOutcome} "vendor outcome unknown"` : ''})`,
        String(r.segmentsRendered),
        String(r.tasks),
        `${r.perSegment.toFixed(2)}${r.perSegment !== 1 ? ` (max ${r.maxPerSegment} per segment)` : ''}`,
        `$${r.usdPerVideo.toFixed(2)}`,
        `$${r.ttvUsdPerVideo.toFixed(2)}`,
        r.id === 'no-fault' ? '–' : pct(r.delta),
        r.met ? 'yes' : 'no',
      ],
);
const widths = head.map((_, i) => Math.max(...[head, ...cells].map((c) => c[i].length)));
const table = [head, ...cells]
  .map((c) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  )
  .join('\n');
const markdown = `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${cells.map((c) => `| ${c.join(' | ')} |`).join('\n')}`;
console.log(
  `\npaid-once: ${JOBS} jobs × ${SEGMENTS} segments × ${SEGMENT_SECONDS} s per row, ${CONCURRENCY} at a time per worker, Runway fake (gen4_turbo), ${machine()}`,
);
console.log(table);
if (opts.json === undefined) console.log(`\n${markdown}`);

// For bench:all: per row, tasks per rendered segment (target ≤ 1) and USD per video against no fault.
const rows = runs
  .filter((r) => r.tasks !== undefined)
  .flatMap((r) => [
    figure({
      figure: `paid-once ${r.label}: tasks per segment${r.id === 'create-500' ? ' (max per segment)' : ''}`,
      value: r.id === 'create-500' ? r.maxPerSegment : r.perSegment,
      unit: 'tasks',
      op: '<=',
      target: 1,
    }),
    ...(r.id === 'no-fault' || r.id === 'create-500'
      ? []
      : [
          figure({
            figure: `paid-once ${r.label}: USD per finished video`,
            value: r.usdPerVideo,
            unit: 'USD',
            reference: 'no fault',
            referenceValue: base?.usdPerVideo,
            op: '<=',
            target: 1,
          }),
        ]),
  ]);
finishBench({
  bench: 'paid-once',
  args: { json: opts.json ?? null, quick: opts.quick },
  rows,
  runs,
  notes: runs.flatMap((r) => r.notes),
});
