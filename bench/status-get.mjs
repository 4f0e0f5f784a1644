// Benchmark: GET /v1/jobs/{id} on ttv's embedded default vs a bare node:http server answering the
// same JSON from memory, 64 connections each, in one run; then submit → started dispatch latency
// with an idle worker. Run with `npm run bench` (builds first). Prints figures; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;

function startChild(args, pattern) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (c) => {
      if (out === null) return; // ready: keep draining the pipe, stop looking
      out += c;
      const m = pattern.exec(out);
      if (m) {
        out = null;
        resolve({ child, url: m[1] });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
  });
}

async function load(url) {
  // Warm-up, then the measured run.
  await autocannon({ url, connections: CONNECTIONS, duration: 2 });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const dataDir = mkdtempSync(join(tmpdir(), 'ttv-bench-'));
const configFile = join(dataDir, 'bench.yaml');
writeFileSync(configFile, `logging: { level: ${process.env.BENCH_LOG_LEVEL ?? 'info'} }\nsegment_duration_seconds: 1\nprocedural: { width: 160, height: 90, fps: 12 }\nworker: { concurrency: 2 }\n`);
const children = [];
try {
  const ttv = await startChild(['bin/ttv.js', 'serve', '--config', configFile, '--port', '0', '--data-dir', dataDir], /ttv: listening on (http:\/\/\S+)/);
  children.push(ttv.child);
  // A finished job to read.
  const created = await (await fetch(`${ttv.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'A benchmark job.' }) })).json();
  let job;
  for (;;) {
    job = await (await fetch(`${ttv.url}/v1/jobs/${created.id}`)).json();
    if (job.status === 'finished') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const bare = await startChild(['bench/bare-server.mjs', JSON.stringify(job)], /"url":"(http:\/\/[^"]+)"/);
  children.push(bare.child);

  const bareResult = await load(bare.url);
  const ttvResult = await load(`${ttv.url}/v1/jobs/${created.id}`);

  // Dispatch: submit one job at a time to an idle worker; started_at − created_at from the record.
  const samples = [];
  for (let i = 0; i < 40; i += 1) {
    const { id } = await (await fetch(`${ttv.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: `dispatch ${i}` }) })).json();
    let j;
    for (;;) {
      j = await (await fetch(`${ttv.url}/v1/jobs/${id}`)).json();
      if (j.started_at) break;
    }
    samples.push(Date.parse(j.started_at) - Date.parse(j.created_at));
    await fetch(`${ttv.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    // Wait until the worker is idle again.
    for (;;) {
      const m = await (await fetch(`${ttv.url}/metrics`, { headers: { accept: 'application/json' } })).json();
      if (m.active_jobs === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  samples.sort((a, b) => a - b);
  const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];

  const pad = (s, n) => String(s).padEnd(n);
  console.log(`\nGET /v1/jobs/{id}: ${CONNECTIONS} connections, ${DURATION} s each, ${cpus().length} cores, node ${process.version}`);
  console.log(`${pad('server', 28)}${pad('req/s', 12)}${pad('p50 ms', 10)}${pad('p99 ms', 10)}errors`);
  console.log(`${pad('bare node:http (memory)', 28)}${pad(bareResult.rps.toFixed(0), 12)}${pad(bareResult.p50, 10)}${pad(bareResult.p99, 10)}${bareResult.errors}`);
  console.log(`${pad('ttv (Fastify + SQLite)', 28)}${pad(ttvResult.rps.toFixed(0), 12)}${pad(ttvResult.p50, 10)}${pad(ttvResult.p99, 10)}${ttvResult.errors}`);
  console.log(`ratio ttv/bare: ${((ttvResult.rps / bareResult.rps) * 100).toFixed(1)} %`);
  console.log(`\nsubmit → started (idle worker, ${samples.length} jobs): p50 ${pct(50)} ms, p90 ${pct(90)} ms, max ${samples.at(-1)} ms`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
