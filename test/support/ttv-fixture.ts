// The e2e setup shared by the process-level tests on a shared store: one private store server per test
// file (a redis-server, a PostgreSQL cluster), and per test a data dir with a ttv.yaml naming it under
// a fresh name (key prefix, schema), from which `ttv serve`, `ttv serve --no-worker` and `ttv worker`
// processes start. Every process and dir a test made is removed after it; the server after the file.
// Call at the top level of a test file (it adds hooks).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTtv, type TtvProcess } from './ttv-process.js';

export type TtvKind = 'api' | 'worker' | 'serve';

export interface TtvSetup {
  dataDir: string;
  configFile: string;
  /** The store name of this test (Redis key prefix, PostgreSQL schema). */
  prefix: string;
  /** `--config FILE --data-dir DIR`, for processes a test starts by hand. */
  args: string[];
  /** Starts `ttv serve --no-worker` (api), `ttv serve` (serve) or `ttv worker`, once it is ready. */
  start(kind: TtvKind): Promise<TtvProcess>;
}

/** How a fixture starts its store server and names it in a config. */
export interface StoreServer<S> {
  start(): Promise<S>;
  stop(server: S): Promise<void>;
  /** The config line of the store section, for a test's own store name. */
  configLine(server: S, name: string): string;
}

export interface TtvFixture<S> {
  /** The file's store server. */
  readonly server: S;
  /** The processes that the hooks kill after each test. */
  readonly procs: TtvProcess[];
  /** A temp dir removed after the test. */
  tempDir(): Promise<string>;
  /** Starts a ttv process tracked for cleanup. */
  startTtv(args: string[], env?: Record<string, string>): Promise<TtvProcess>;
  /** A data dir and config (the store line first — `storeLine` instead of the file's server — then `yaml`). */
  setup(yaml: string[], options?: { storeLine?: (name: string) => string }): Promise<TtvSetup>;
}

export function argvFor(kind: TtvKind, args: string[]): string[] {
  if (kind === 'worker') return ['worker', ...args];
  return kind === 'api' ? ['serve', '--no-worker', '--port', '0', ...args] : ['serve', '--port', '0', ...args];
}

export function ttvFixture<S>(name: string, store: StoreServer<S>): TtvFixture<S> {
  let server: S | undefined;
  const procs: TtvProcess[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    server = await store.start();
  });
  afterAll(async () => {
    if (server !== undefined) await store.stop(server);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const fixture: TtvFixture<S> = {
    get server() {
      if (server === undefined) throw new Error('the store fixture is used before its beforeAll hook ran');
      return server;
    },
    procs,
    async tempDir() {
      const dir = await mkdtemp(join(tmpdir(), `ttv-${name}-`));
      dirs.push(dir);
      return dir;
    },
    async startTtv(args, env) {
      const p = await startTtv(args, env);
      procs.push(p);
      return p;
    },
    async setup(yaml, options = {}) {
      const dataDir = await fixture.tempDir();
      // Lower-case letters, digits and _ only: valid as a Redis key prefix and as a PostgreSQL schema.
      const prefix = `ttv_${name.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
      const configFile = join(dataDir, 'ttv.yaml');
      const storeLine = options.storeLine ? options.storeLine(prefix) : store.configLine(fixture.server, prefix);
      await writeFile(configFile, [storeLine, ...yaml, ''].join('\n'));
      const args = ['--config', configFile, '--data-dir', dataDir];
      return { dataDir, configFile, prefix, args, start: (kind) => fixture.startTtv(argvFor(kind, args)) };
    },
  };
  return fixture;
}
