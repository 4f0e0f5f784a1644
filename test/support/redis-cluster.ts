// A private 3-master Redis Cluster (no replicas) on loopback for one test file: redis-server with
// --cluster-enabled on free ports (the bus port chosen too, since port+10000 may not exist), joined
// with `redis-cli --cluster create`, nothing kept on disk beyond the nodes' own config files. With
// `security`, every node is TLS-only (the cluster bus too) and takes one ACL user.
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, launchRedis } from './redis-server.js';
import { secureCliArgs, secureServerArgs, type RedisSecurity } from './redis-secure.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface RedisCluster {
  ports: number[];
  stop(): Promise<void>;
}

async function clusterState(port: number, cliArgs: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', [...cliArgs, '-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? '';
}

export async function startRedisCluster(masters = 3, security?: RedisSecurity): Promise<RedisCluster> {
  const cliArgs = security ? secureCliArgs(security) : [];
  const dir = await mkdtemp(join(tmpdir(), 'ttv-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await once(child, 'exit');
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      const [port, bus] = [await freePort(), await freePort()];
      ports.push(port);
      children.push(
        await launchRedis([
          ...(security ? [...secureServerArgs(port, security), '--tls-cluster', 'yes'] : ['--port', String(port)]),
          '--cluster-port',
          String(bus),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ]),
      );
    }
    await run('redis-cli', [
      ...cliArgs,
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    // Every node must agree the slots are covered before a client's first CLUSTER SLOTS is trusted.
    await waitFor(
      async () =>
        (await Promise.all(ports.map((p) => clusterState(p, cliArgs)))).every((s) => s === 'ok') ? true : null,
      {
        timeoutMs: 30_000,
        what: 'cluster_state:ok on every node',
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, stop };
}
