// Benchmark: the connection-cap flood from the hostile-tenant run. 16 loopback addresses each keep 64
// silent sockets open (1,024 > server.max_connections 1,000) and reconnect whenever one is closed,
// while a health checker opens a fresh connection to /healthz every PROBE_MS. Prints how many health
// checks were answered 200 (the rest 503 or failed), their latency p50/p99, and how many flood
// sockets the server closed to make room. Before idle sockets were closed first at the cap, 94 % of
// health checks got 503 for as long as the flood lasted.
// Run with `npm run build && node bench/connection-flood.mjs`. SECONDS=N, PROBE_MS=N change the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startUntil } from './lib/child-processes.mjs';

const SECONDS = Number(process.env.SECONDS ?? 15);
const PROBE_MS = Number(process.env.PROBE_MS ?? 50);
const ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.0.${10 + i}`);
const PER_ADDRESS = 64;
const children = [];
const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-flood-'));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

let stopping = false;
let closedByServer = 0;
const flood = new Set();

/** A silent socket from `from` that is opened again whenever the server closes it. */
function silent(host, port, from) {
  if (stopping) return;
  const socket = connect({ host, port, localAddress: from });
  flood.add(socket);
  socket.on('error', () => {});
  socket.resume(); // reads (and drops) what the server says, so that its close is noticed at once
  socket.on('close', () => {
    flood.delete(socket);
    if (stopping) return;
    closedByServer += 1;
    setTimeout(() => silent(host, port, from), 5);
  });
}

function probe(host, port) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = request(
      { host, port, path: '/healthz', headers: { connection: 'close' }, agent: false, localAddress: '127.0.0.1' },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end();
  });
}

try {
  const url = await startUntil(
    children,
    process.execPath,
    ['bin/ttv.js', 'serve', '--no-worker', '--port', '0', '--data-dir', dir],
    /ttv: listening on (http:\/\/\S+)/,
  );
  const { hostname, port } = new URL(url);
  for (const from of ADDRESSES) for (let i = 0; i < PER_ADDRESS; i += 1) silent(hostname, Number(port), from);
  // Let the flood fill the cap before probing.
  await new Promise((r) => setTimeout(r, 1000));
  const results = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const next = performance.now() + PROBE_MS;
    results.push(await probe(hostname, Number(port)));
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const ok = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status === 503).length;
  const failed = results.filter((r) => r.status === 0).length;
  console.log(
    `connection flood on ${cpus().length} cores (Node ${process.version}): ${ADDRESSES.length} addresses × ${PER_ADDRESS} silent reconnecting sockets, server.max_connections 1000, ${SECONDS} s`,
  );
  console.log(
    `health checks: ${ok.length} of ${results.length} answered 200 (${((100 * ok.length) / Math.max(1, results.length)).toFixed(1)} %), ${refused} got 503, ${failed} failed`,
  );
  console.log(
    `health check latency (200s): p50 ${pct(
      ok.map((r) => r.ms),
      50,
    ).toFixed(1)} ms, p99 ${pct(
      ok.map((r) => r.ms),
      99,
    ).toFixed(1)} ms`,
  );
  console.log(
    `flood sockets closed by the server (refused at a cap, or idle and closed to make room): ${closedByServer}; open at the end: ${flood.size}`,
  );
} finally {
  stopping = true;
  for (const socket of flood) socket.destroy();
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
