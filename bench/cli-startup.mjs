// Benchmark: start-up of a client command, `ttv status ID` against a running server, from spawn to
// exit (it prints one job), median of 10 runs, next to a bare `node -e ""` on the same machine.
// Run with `npm run build && node bench/cli-startup.mjs`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RUNS = 10;
const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-cli-'));
const server = spawn(process.execPath, ['bin/ttv.js', 'serve', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const time = (args) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - t0;
};
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stderr.on('data', (c) => { out += c; const m = /ttv: listening on (\S+)/.exec(out); if (m) resolve(m[1]); });
    server.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const job = await (await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt":"Bench."}' })).json();
  const ttv = [];
  const bare = [];
  for (let i = 0; i < RUNS; i += 1) {
    ttv.push(time(['bin/ttv.js', 'status', job.id, '--server', url]));
    bare.push(time(['-e', '']));
  }
  console.log(`cli start-up on ${cpus().length} cores (Node ${process.version}), median of ${RUNS}: ttv status ID ${median(ttv).toFixed(0)} ms; bare node ${median(bare).toFixed(0)} ms`);
} finally {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
