// Starting and stopping what a bench measures: ttv serve (config written as YAML, access log to a
// file, readiness from its "listening on" line), a private redis-server, bare reference servers.
// Every child is tracked and stopped when the bench ends, whatever happened.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { stringify } from 'yaml';

export const BENCH_POSTGRES_URL = process.env.TTV_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const probeUrl = pathToFileURL(join(repoRoot, 'bench/lib/server-probe.mjs')).href;

export async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves with the first match of `pattern` in the child's output; rejects if it exits first. */
export function waitForOutput(child, streams, pattern, what) {
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (chunk) => {
      if (out === null) return; // found: keep draining, stop looking
      out += chunk;
      const m = pattern.exec(out);
      if (m) {
        out = null;
        resolvePromise(m[1] ?? m[0]);
      }
    };
    for (const s of streams) s.on('data', onData);
    child.once('exit', (code, signal) => {
      if (out !== null)
        reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${out.slice(-2000)}`));
    });
  });
}

export class BenchProcesses {
  constructor() {
    this.children = new Set();
    this.dirs = [];
    this.postgresSchemas = [];
  }

  tempDir(label) {
    const dir = mkdtempSync(join(tmpdir(), `ttv-bench-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  track(child) {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  async stop(child, signal = 'SIGTERM') {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async stopAll() {
    await Promise.all([...this.children].map((c) => this.stop(c)));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    if (this.postgresSchemas.length > 0) {
      const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
      await client.connect();
      for (const schema of this.postgresSchemas.splice(0))
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }

  /**
   * A `postgres:` config section for a schema of its own in the machine's PostgreSQL
   * (TTV_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test), dropped by stopAll.
   */
  postgres(label) {
    const schema = `ttv_bench_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(3).toString('hex')}`;
    this.postgresSchemas.push(schema);
    return { url: BENCH_POSTGRES_URL, schema };
  }

  async redis() {
    const port = await freePort();
    const child = this.track(
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await waitForOutput(child, [child.stdout, child.stderr], /Ready to accept connections/, 'redis-server');
    return { url: `redis://127.0.0.1:${port}/0`, port, child };
  }

  /** A bare reference server from bench/ (prints {"url": …} on stdout when listening). */
  async bare(script, args = []) {
    const child = this.track(
      spawn(process.execPath, [join(repoRoot, 'bench', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    const url = await waitForOutput(child, [child.stdout, child.stderr], /"url":"(http:\/\/[^"]+)"/, script);
    return { url, child };
  }

  /**
   * `ttv serve` with `config` (an object, written as YAML) on a free port. Its stdout (the access log)
   * goes to a file, as a service manager would keep it; the probe (server-probe.mjs) is preloaded.
   */
  async ttv({ label, config, flags = [], nodeArgs = [], dataDir, root = repoRoot }) {
    const dir = dataDir ?? this.tempDir(label);
    const configFile = join(dir, 'bench.yaml');
    // Every load generator here is one client address with 64+ connections (plus its own probes):
    // the per-address socket cap (server.max_connections_per_address, 64) would turn some into 503s.
    const server = { max_connections_per_address: 4096, max_connections: 8192, ...(config.server ?? {}) };
    writeFileSync(configFile, stringify({ ...config, server }));
    const logFile = join(dir, 'stdout.log');
    const probeFile = join(dir, 'probe.jsonl');
    const port = await freePort();
    const out = openSync(logFile, 'a');
    const child = this.track(
      spawn(
        process.execPath,
        [
          ...nodeArgs,
          '--import',
          probeUrl,
          join(root, 'bin/ttv.js'),
          'serve',
          '--config',
          configFile,
          '--port',
          String(port),
          '--data-dir',
          dir,
          ...flags,
        ],
        {
          cwd: dir,
          stdio: ['ignore', out, 'pipe'],
          env: { ...process.env, TTV_BENCH_PROBE_FILE: probeFile },
        },
      ),
    );
    closeSync(out);
    const url = await waitForOutput(child, [child.stderr], /ttv: listening on (http:\/\/\S+)/, `ttv serve (${label})`);
    return { url, child, dir, logFile, probeFile, configFile, probe: () => probe(child, probeFile) };
  }
}

/** Asks a server started with the probe for one line of its own figures and returns it. */
export async function probe(child, probeFile) {
  const before = existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean).length : 0;
  child.kill('SIGUSR2');
  for (let i = 0; i < 500; i += 1) {
    const lines = existsSync(probeFile) ? readFileSync(probeFile, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > before) return JSON.parse(lines.at(-1));
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server probe did not answer within 5 s');
}

/** Event-loop utilisation between two probe lines (0..1). */
export function eluBetween(a, b) {
  const active = b.elu.active - a.elu.active;
  const idle = b.elu.idle - a.elu.idle;
  return active / (active + idle);
}

export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export async function getJson(url, headers = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Polls a job until it is in `status`, bounded by a deadline (the job's own progress decides). */
export async function waitForJob(baseUrl, id, status, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJson(`${baseUrl}/v1/jobs/${id}`);
    if (job.status === status) return job;
    if (['finished', 'failed', 'canceled'].includes(job.status))
      throw new Error(`job ${id} ended ${job.status}, expected ${status}`);
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
