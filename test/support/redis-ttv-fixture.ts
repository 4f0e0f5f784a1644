// The e2e setup on Redis shared by the process-level tests (ttv-fixture.ts): one private redis-server
// per test file, and per test a fresh key prefix. `setup(yaml, {redisUrl})` names another Redis.
import { ttvFixture, type TtvFixture, type TtvSetup } from './ttv-fixture.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

export { argvFor, type TtvKind, type TtvSetup } from './ttv-fixture.js';

const redisLine = (url: string, prefix: string) => `redis: { url: "${url}", key_prefix: "${prefix}" }`;

export interface RedisTtvFixture extends Omit<TtvFixture<RedisServer>, 'setup'> {
  readonly redis: RedisServer;
  setup(yaml: string[], options?: { redisUrl?: string }): Promise<TtvSetup>;
}

export function redisTtvFixture(name: string): RedisTtvFixture {
  const fixture = ttvFixture(name, {
    start: () => startRedisServer(),
    stop: (redis) => redis.stop(),
    configLine: (redis, prefix) => redisLine(redis.url, prefix),
  });
  return {
    get server() {
      return fixture.server;
    },
    get redis() {
      return fixture.server;
    },
    procs: fixture.procs,
    tempDir: () => fixture.tempDir(),
    startTtv: (args, env) => fixture.startTtv(args, env),
    setup: (yaml, options = {}) =>
      fixture.setup(yaml, options.redisUrl ? { storeLine: (prefix) => redisLine(options.redisUrl!, prefix) } : {}),
  };
}
