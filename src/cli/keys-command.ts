// `ttv keys create|list|revoke`: API keys in the configured job store (the SQLite file or Redis the
// servers use), so a running server sees a new key or a revocation within a second.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError } from '../errors/config-error.js';
import type { KeyStore } from '../access/key-store.js';
import { hashKeySecret, newKeySecret } from '../access/key-secret.js';
import { KEY_SCOPES, type KeyScope } from '../access/principal.js';
import type { ApiKeyRecord } from '../access/key-store.js';
import { audit } from '../access/audit.js';
import { revokeGuard, revokeRefusal } from '../access/revoke-policy.js';
import type { AppConfig } from '../config/schema.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(flag: string) {
  return (value: string) => {
    if (!/^[1-9][0-9]{0,8}$/.test(value))
      throw new ConfigError([{ key: flag, message: `must be a positive integer (got "${value}")` }]);
    return Number(value);
  };
}

function budget(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(n > 0))
    throw new ConfigError([
      { key: '--monthly-budget-usd', message: `must be a positive number of dollars (got "${value}")` },
    ]);
  return n;
}

function scope(value: string): KeyScope {
  if (!(KEY_SCOPES as readonly string[]).includes(value))
    throw new ConfigError([{ key: '--scope', message: `must be one of ${KEY_SCOPES.join(', ')} (got "${value}")` }]);
  return value as KeyScope;
}

function describeKey(k: ApiKeyRecord): string {
  const limits = [
    k.limits.rateLimitPerMinute !== null ? `rate_limit=${k.limits.rateLimitPerMinute}/min` : null,
    k.limits.maxConcurrentJobs !== null ? `max_concurrent_jobs=${k.limits.maxConcurrentJobs}` : null,
    k.limits.monthlyBudgetUsd !== null ? `monthly_budget_usd=${k.limits.monthlyBudgetUsd}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  return `${k.id}\t${k.scope}\t${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'}\t${k.name}${limits ? `\t${limits}` : ''}`;
}

// The store, its drivers and the logger load only when a keys command runs, so that the other
// commands' start-up does not pay for them.
async function withStore<T>(
  files: string[] | undefined,
  dataDir: string | undefined,
  fn: (store: KeyStore, logger: Logger, config: AppConfig) => Promise<T>,
): Promise<T> {
  const [{ loadConfig }, { openKeyStore }, { pino }] = await Promise.all([
    import('../config/load-config.js'),
    import('../access/open-key-store.js'),
    import('pino'),
  ]);
  const { config } = loadConfig({ files, env: process.env, cli: { dataDir } });
  // A first command on a new PostgreSQL database creates ttv's tables: it may wait for that.
  const store = openKeyStore(config, { schemaWaitMs: 30_000 });
  const logger = pino({ level: 'info' }, pino.destination(2));
  try {
    return await fn(store, logger, config);
  } finally {
    await store.close();
  }
}

export function registerKeysCommand(program: Command, setExitCode: (code: number) => void): void {
  const keys = program.command('keys').description('manage API keys (stored hashed in the job store)');
  const common = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (YAML); repeat to layer files', collect)
      .option('--data-dir <dir>', 'where the job database lives (default ./.ttv)');

  common(keys.command('create'))
    .description('create a key and print its secret (shown this once only)')
    .requiredOption('--name <name>', 'who the key is for')
    .option('--scope <scope>', 'jobs (its own jobs only) or admin (all jobs)', scope, 'jobs' as KeyScope)
    .option(
      '--rate-limit <n>',
      'requests per minute for this key (default: the configured limits)',
      positiveInt('--rate-limit'),
    )
    .option('--max-concurrent-jobs <n>', 'jobs of this key that may run at once', positiveInt('--max-concurrent-jobs'))
    .option('--monthly-budget-usd <x>', 'estimated spend allowed per calendar month (UTC)', budget)
    .action(
      async (flags: {
        config?: string[];
        dataDir?: string;
        name: string;
        scope: KeyScope;
        rateLimit?: number;
        maxConcurrentJobs?: number;
        monthlyBudgetUsd?: number;
      }) => {
        const name = flags.name.trim();
        if (!name || name.length > 200)
          throw new ConfigError([{ key: '--name', message: 'must be 1..200 characters' }]);
        await withStore(flags.config, flags.dataDir, async (store, logger) => {
          const secret = newKeySecret();
          const record = await store.create(
            {
              name,
              scope: flags.scope,
              limits: {
                rateLimitPerMinute: flags.rateLimit ?? null,
                maxConcurrentJobs: flags.maxConcurrentJobs ?? null,
                monthlyBudgetUsd: flags.monthlyBudgetUsd ?? null,
              },
            },
            hashKeySecret(secret),
          );
          audit(logger, 'key.created', { key_id: record.id, name: record.name, scope: record.scope });
          process.stdout.write(`${describeKey(record)}\n`);
          process.stdout.write(`secret: ${secret}\n`);
          process.stderr.write('Store the secret now: it is not kept and cannot be shown again.\n');
        });
        setExitCode(0);
      },
    );

  common(keys.command('list'))
    .description('list keys: id, scope, state, name, limits (never secrets)')
    .action(async (flags: { config?: string[]; dataDir?: string }) => {
      await withStore(flags.config, flags.dataDir, async (store) => {
        for (const k of await store.list()) process.stdout.write(`${describeKey(k)}\n`);
      });
      setExitCode(0);
    });

  common(keys.command('revoke'))
    .description('revoke a key: every API process refuses it, and ends its event streams, within a second')
    .argument('<id>', 'key id (from `ttv keys list`)')
    .action(async (id: string, flags: { config?: string[]; dataDir?: string }) => {
      const code = await withStore(flags.config, flags.dataDir, async (store, logger, config) => {
        const result = await store.revoke(id, revokeGuard(config.security));
        if (result.outcome === 'not_found') {
          process.stderr.write(`ttv: no key with id ${id}\n`);
          return 1;
        }
        const refusal = revokeRefusal(result);
        if (refusal) {
          // The operator's configuration decides this: exit 2, like other operator errors.
          process.stderr.write(`ttv: refusing to revoke ${id}: ${refusal}\n`);
          return 2;
        }
        if (result.outcome === 'revoked')
          audit(logger, 'key.revoked', { key_id: result.key.id, name: result.key.name });
        process.stdout.write(`${describeKey(result.key)}\n`);
        return 0;
      });
      setExitCode(code);
    });
}
