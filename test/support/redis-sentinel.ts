// A private Sentinel setup on loopback for one test file: a master, one replica, and three Sentinels
// (quorum 2) with short timeouts, so that killing the master fails over within a few seconds. With
// `security`, every server and Sentinel is TLS-only; the data servers take its ACL user, and the
// Sentinels an ACL user of their own (`sentinelUser`, same password with "-sentinel" appended).
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, launchRedis } from './redis-server.js';
import { secureCliArgs, secureConfLines, secureServerArgs, type RedisSecurity } from './redis-secure.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
export const SENTINEL_MASTER_NAME = 'ttvmaster';

export interface RedisSentinelSetup {
  name: string;
  /** With security: the Sentinels' ACL user and password. */
  sentinelUser: { user: string; password: string } | null;
  sentinelPorts: number[];
  /** The port of the master Sentinel names now. */
  masterPort(): Promise<number>;
  /** SIGKILLs the data server on that port (the master, to force a failover). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisSentinel(security?: RedisSecurity): Promise<RedisSentinelSetup> {
  const sentinelUser = security
    ? { user: `${security.user}-sentinel`, password: `${security.password}-sentinel` }
    : null;
  const dataCli = security ? secureCliArgs(security) : [];
  const sentinelCli = security && sentinelUser ? secureCliArgs({ ...security, ...sentinelUser }) : [];
  const cliOf =
    (cliArgs: string[]) =>
    async (port: number, ...args: string[]) =>
      (await run('redis-cli', [...cliArgs, '-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
  const cli = cliOf(sentinelCli);
  const dataCliRun = cliOf(dataCli);
  const dir = await mkdtemp(join(tmpdir(), 'ttv-redis-sentinel-'));
  const servers = new Map<number, ChildProcess>();
  const sentinels: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  };
  const stop = async () => {
    await Promise.all([...servers.values(), ...sentinels].map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  const data = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  // The replica (and a failed-over master) replicates over TLS as the ACL user.
  const listen = (port: number) =>
    security
      ? [
          ...secureServerArgs(port, security),
          '--tls-replication',
          'yes',
          '--masteruser',
          security.user,
          '--masterauth',
          security.password,
        ]
      : ['--port', String(port)];
  try {
    const master = await freePort();
    servers.set(master, await launchRedis([...listen(master), ...data]));
    const replica = await freePort();
    servers.set(replica, await launchRedis([...listen(replica), '--replicaof', '127.0.0.1', String(master), ...data]));
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          ...(security && sentinelUser
            ? [
                ...secureConfLines(port, { ...security, ...sentinelUser }),
                'tls-replication yes',
                // Sentinels log in to each other as that user, and to the servers as the data user.
                `sentinel sentinel-user ${sentinelUser.user}`,
                `sentinel sentinel-pass ${sentinelUser.password}`,
              ]
            : [`port ${port}`]),
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 2000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          ...(security
            ? [
                `sentinel auth-user ${SENTINEL_MASTER_NAME} ${security.user}`,
                `sentinel auth-pass ${SENTINEL_MASTER_NAME} ${security.password}`,
              ]
            : []),
          '',
        ].join('\n'),
      );
      sentinels.push(await launchRedis([file, '--sentinel'], '+monitor master'));
      sentinelPorts.push(port);
    }
    // Failover needs every Sentinel to know the replica and its two peers.
    await waitFor(
      async () => {
        for (const port of sentinelPorts) {
          const info = (await cli(port, 'sentinel', 'master', SENTINEL_MASTER_NAME)).split('\n').map((l) => l.trim());
          const field = (name: string) => Number(info[info.indexOf(name) + 1]);
          if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return null;
        }
        return /master_link_status:up/.test(await dataCliRun(replica, 'info', 'replication')) ? true : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'sentinels to discover the replica and each other' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: SENTINEL_MASTER_NAME,
    sentinelUser,
    sentinelPorts,
    async masterPort() {
      const [, port] = (await cli(sentinelPorts[0]!, 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER_NAME))
        .trim()
        .split('\n');
      return Number(port);
    },
    async kill(port: number) {
      const child = servers.get(port);
      if (child) await kill(child);
    },
    stop,
  };
}
