// The e2e setup on Redis shared by the process-level tests: one private redis-server per test file,
// and per test a data dir with a ttv.yaml naming it under a fresh key prefix, from which `ttv serve`,
// `ttv serve --no-worker` and `ttv worker` processes start. Every process and dir a test made is
// removed after it; the Redis after the file. Call at the top level of a test file (it adds hooks).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTtv, type TtvProcess } from './ttv-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

export type TtvKind = 'api' | 'worker' | 'serve';

export interface TtvSetup {
  dataDir: string;
  configFile: string;
  /** The config's Redis key prefix. */
  prefix: string;
  /** `--config FILE --data-dir DIR`, for processes a test starts by hand. */
  args: string[];
  /** Starts `ttv serve --no-worker` (api), `ttv serve` (serve) or `ttv worker`, once it is ready. */
  start(kind: TtvKind): Promise<TtvProcess>;
}

export interface RedisTtvFixture {
  readonly redis: RedisServer;
  /** The processes that the hooks kill after each test. */
  readonly procs: TtvProcess[];
  /** A temp dir removed after the test. */
  tempDir(): Promise<string>;
  /** Starts a ttv process tracked for cleanup. */
  startTtv(args: string[], env?: Record<string, string>): Promise<TtvProcess>;
  /** A data dir and config (the Redis line first, then `yaml`) for one test. */
  setup(yaml: string[], options?: { redisUrl?: string }): Promise<TtvSetup>;
}

export function argvFor(kind: TtvKind, args: string[]): string[] {
  if (kind === 'worker') return ['worker', ...args];
  return kind === 'api' ? ['serve', '--no-worker', '--port', '0', ...args] : ['serve', '--port', '0', ...args];
}

export function redisTtvFixture(name: string): RedisTtvFixture {
  let redis: RedisServer | undefined;
  const procs: TtvProcess[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  const fixture: RedisTtvFixture = {
    get redis() {
      if (!redis) throw new Error('the Redis fixture is used before its beforeAll hook ran');
      return redis;
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
      const prefix = `ttv-${name}-${randomUUID().slice(0, 8)}`;
      const configFile = join(dataDir, 'ttv.yaml');
      await writeFile(
        configFile,
        [`redis: { url: "${options.redisUrl ?? fixture.redis.url}", key_prefix: "${prefix}" }`, ...yaml, ''].join('\n'),
      );
      const args = ['--config', configFile, '--data-dir', dataDir];
      return { dataDir, configFile, prefix, args, start: (kind) => fixture.startTtv(argvFor(kind, args)) };
    },
  };
  return fixture;
}
