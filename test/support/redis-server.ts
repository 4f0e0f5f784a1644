// A private redis-server for one test file, on a free loopback port, keeping nothing on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export interface RedisServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop), for outage tests. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function launch(port: number, extraArgs: string[]): Promise<ChildProcess> {
  // Later arguments win, so `extraArgs` can turn persistence on (--appendonly yes --dir DIR).
  return launchRedis(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs]);
}

/** Runs redis-server with these arguments (a config file first, or options) until it accepts connections. */
export async function launchRedis(args: string[], ready = 'Ready to accept connections'): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', (err) =>
      reject(new Error(`redis-server could not start (${err.message}); install the redis-server package`)),
    );
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes(ready)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
  });
  return child;
}

export async function startRedisServer(options: { extraArgs?: string[] } = {}): Promise<RedisServer> {
  const port = await freePort();
  const extraArgs = options.extraArgs ?? [];
  let child = await launch(port, extraArgs);
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    async restart() {
      child = await launch(port, extraArgs);
      server.process = child;
    },
  };
  return server;
}

/** One redis-server for the calling test file (started before its tests, stopped after them). */
export function redisServerForFile(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the Redis server of this file is not started yet');
    return server;
  };
}

/** The file's redis-server (as redisServerForFile) and one ioredis client on it, closed before the server stops. */
export function redisClientForFile(): { server: () => RedisServer; client: () => Redis } {
  const server = redisServerForFile();
  let client: Redis | undefined;
  beforeAll(() => {
    client = new Redis(server().url);
  });
  afterAll(() => {
    client?.disconnect();
  });
  return {
    server,
    client: () => {
      if (!client) throw new Error('the Redis client of this file is not connected yet');
      return client;
    },
  };
}
