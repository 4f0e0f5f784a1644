// Benchmark: how long another endpoint host waits for its webhooks while a tarpit (an endpoint that
// accepts every request and never answers) is named by 300 jobs. One `ttv serve` (worker off: jobs
// are canceled while queued, so job.canceled is each job's one event), default webhooks settings
// (timeout_seconds 10, max_attempts 6, host_concurrency 2), per-job webhooks to loopback allowed.
// Figure: per delivery, from the cancel's answer to the receiver's arrival, for 50 jobs on
// 127.0.0.1 without the tarpit and then with 300 tarpit jobs (127.0.0.2) queued ahead of them.
// Also printed: the most requests the tarpit ever had open (its lane's cap).
// `npm run bench:webhooks [-- --quick]` (--quick: 100 tarpit jobs, 20 measured); --json FILE for bench:all.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { benchArgs } from './lib/cli-args.mjs';
import { BenchProcesses, postJson } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';
import { figure, finishBench } from './lib/report.mjs';

const args = benchArgs();
const TARPIT_JOBS = args.quick ? 100 : 300;
const MEASURED = args.quick ? 20 : 50;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function listen(server, host) {
  server.listen(0, host);
  await once(server, 'listening');
  return `http://${host}:${server.address().port}`;
}

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
const tarpitSockets = new Set();
let tarpitOpenAtMost = 0;
let tarpitRequests = 0;
const tarpit = createServer((req) => {
  tarpitRequests += 1;
  req.resume();
  tarpitOpenAtMost = Math.max(tarpitOpenAtMost, tarpitSockets.size);
});
tarpit.on('connection', (s) => {
  tarpitSockets.add(s);
  s.once('close', () => tarpitSockets.delete(s));
});
/** job id → resolve(arrival time) */
const waiting = new Map();
const arrived = new Map();
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const at = performance.now();
    const id = JSON.parse(body).data.id;
    res.writeHead(204).end();
    arrived.set(id, at);
    waiting.get(id)?.(at);
  });
});

try {
  const tarpitUrl = `${await listen(tarpit, '127.0.0.2')}/hook`;
  const receiverUrl = `${await listen(receiver, '127.0.0.1')}/hook`;
  const server = await procs.ttv({
    label: 'webhooks',
    config: {
      security: LIMITS_RAISED,
      worker: { enabled: false },
      server: { job_options: ['webhook'] },
      webhooks: { allow_private_urls: true },
    },
  });
  const canceledWithHook = async (url) => {
    const { id } = await postJson(`${server.url}/v1/jobs`, {
      prompt: 'A hook.',
      options: { webhook: { url, events: ['job.canceled'] } },
    });
    const res = await fetch(`${server.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`cancel answered ${res.status}`);
    return { id, canceledAt: performance.now() };
  };
  const measure = async (label) => {
    const delays = [];
    for (let i = 0; i < MEASURED; i += 1) {
      const { id, canceledAt } = await canceledWithHook(receiverUrl);
      const at =
        arrived.get(id) ??
        (await new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${label}: job ${id}'s webhook did not arrive within 120 s`)),
            120_000,
          );
          waiting.set(id, (t) => {
            clearTimeout(timer);
            resolve(t);
          });
        }));
      waiting.delete(id);
      delays.push(at - canceledAt);
    }
    return { delays };
  };

  const alone = await measure('no tarpit');
  runs.push({ label: 'no tarpit', problems: [] });

  for (let i = 0; i < TARPIT_JOBS; i += 1) await canceledWithHook(tarpitUrl);
  const heldBefore = tarpitSockets.size;
  const withTarpit = await measure('with tarpit');
  const heldAfter = tarpitSockets.size;
  runs.push({
    label: 'with tarpit',
    problems:
      heldBefore === 0 || heldAfter === 0
        ? [
            `the tarpit held ${heldBefore} connections before and ${heldAfter} after the measured deliveries (expected it to hold throughout)`,
          ]
        : [],
  });

  for (const [q, name] of [
    [0.5, 'p50'],
    [0.99, 'p99'],
  ]) {
    rows.push(
      figure({
        figure: `other host's webhook delay ${name}, ${TARPIT_JOBS}-job tarpit`,
        value: quantile(withTarpit.delays, q),
        unit: 'ms',
        reference: 'no tarpit',
        referenceValue: quantile(alone.delays, q),
        op: '<=',
        target: 3,
      }),
    );
  }
  rows.push(
    figure({
      figure: `other host's webhook delay max, ${TARPIT_JOBS}-job tarpit`,
      value: Math.max(...withTarpit.delays),
      unit: 'ms',
      op: '<=',
      target: 3000,
    }),
  );
  rows.push(
    figure({
      figure: 'tarpit requests open at most (webhooks.host_concurrency 2)',
      value: tarpitOpenAtMost,
      unit: 'requests',
      op: '<=',
      target: 2,
    }),
  );
  notes.push(
    `tarpit: ${tarpitRequests} requests received (none answered), ${tarpitSockets.size} connections open at the end; ${MEASURED} measured deliveries each way; delays include the dispatcher's 200 ms journal poll`,
  );
} finally {
  for (const s of tarpitSockets) s.destroy();
  tarpit.close();
  receiver.closeAllConnections();
  receiver.close();
  await procs.stopAll();
}
finishBench({ bench: 'webhook-fairness', args, rows, runs, notes });
