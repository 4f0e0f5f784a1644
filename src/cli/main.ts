// The `ttv` command.
// Only what every command needs is imported here; each action imports its own modules, so that a
// client command (status, logs, …) starts without loading Fastify or the vendor SDKs.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../errors/config-error.js';
import { EdgeConfigError } from '../errors/edge-config-error.js';
import { StartupError } from '../errors/startup-error.js';
import { UnsafeBindError } from '../errors/unsafe-bind-error.js';
import { parsePortFlag, parsePositiveIntFlag, type CliOverrides } from '../config/cli-overrides.js';
import { VERSION } from '../version.js';
import { registerKeysCommand } from './keys-command.js';
import { registerPruneCommand } from './prune-command.js';
import { registerModelsCommand } from './models-command.js';
import { clientErrorMessage, isClientError, registerClientCommands } from './client-commands.js';
import { writeErr, writeOut } from './output.js';

interface CommonFlags {
  config?: string[];
  host?: string;
  port?: number;
  dataDir?: string;
  concurrency?: number;
  worker?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function overridesFrom(flags: CommonFlags): CliOverrides {
  return {
    host: flags.host,
    port: flags.port,
    dataDir: flags.dataDir,
    concurrency: flags.concurrency,
    noWorker: flags.worker === false ? true : undefined,
  };
}

/** Runs until a signal stops the service; resolves with the exit code. */
async function serve(flags: CommonFlags, mode: { api: boolean; worker: boolean }): Promise<number> {
  const [{ loadConfig }, { checkStartup, removeCreatedDataDir }, { startService }] = await Promise.all([
    import('../config/load-config.js'),
    import('./startup-checks.js'),
    import('../service.js'),
  ]);
  const { config, warnings } = loadConfig({ files: flags.config, env: process.env, cli: overridesFrom(flags) });
  // Everything a service writes (database, artifacts, scratch files, and what ffmpeg and local models
  // write for it: they inherit the mask) is for this user only; the code also sets modes explicitly.
  process.umask(0o077);
  const createdDataDir = await checkStartup(config, { api: mode.api });
  // A start that fails after the checks (the port taken meanwhile) removes the data dir it created too.
  const service = await startService({ config, api: mode.api, worker: mode.worker && config.worker.enabled }).catch(
    (err: unknown) => {
      removeCreatedDataDir(createdDataDir);
      throw err;
    },
  );
  for (const warning of warnings) service.logger.warn(warning);
  // Always announced, whatever the log level: people and scripts wait for these lines.
  if (service.url) writeErr(`ttv: listening on ${service.url}\n`);
  if (service.worker) writeErr(`ttv: worker ${service.worker.id} started\n`);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        service.logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      service.logger.info({ signal }, 'shutting down');
      const finish = (code: number) => {
        // Everything is closed; should a library still hold a handle, do not hang on it.
        setTimeout(() => process.exit(code), 2000).unref();
        resolve(code);
      };
      service.stop().then(
        () => finish(0),
        (err) => {
          service.logger.error({ err }, 'shutdown failed');
          finish(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function edge(flags: CommonFlags & { out?: string; run?: boolean }): Promise<number> {
  const [
    { loadConfig },
    { caddyfile, caddyStateDir, edgeRedirectPort, edgeUpstream },
    { EdgeSupervisor },
    { mkdir, writeFile },
    { dirname, join, resolve },
  ] = await Promise.all([
    import('../config/load-config.js'),
    import('../edge/caddy-config.js'),
    import('../edge/edge-supervisor.js'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const { config } = loadConfig({ files: flags.config, env: process.env, cli: overridesFrom(flags) });
  const text = caddyfile(config);
  const out = resolve(flags.out ?? join(config.data_dir, 'Caddyfile'));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  writeErr(`ttv: wrote ${out} (https://${config.edge.host}:${config.server.quic_port} → ${edgeUpstream(config)})\n`);
  if (!config.security.trusted_proxies.includes('127.0.0.1')) {
    writeErr(
      "ttv: note: add 127.0.0.1 to security.trusted_proxies so the API believes the edge's X-Forwarded-Proto (Alt-Svc, protocol metrics)\n",
    );
  }
  if (!config.server.public_url) {
    writeErr(
      `ttv: note: set server.public_url (e.g. https://${config.edge.host}:${config.server.quic_port}) so download links point at the edge, not at the API's own address\n`,
    );
  }
  if (!flags.run) return 0;
  const supervisor = new EdgeSupervisor({
    caddyPath: config.edge.caddy_path,
    caddyfile: out,
    stateDir: caddyStateDir(config),
    onOutput: (line) => writeOut(`${line}\n`),
    onRestart: (attempt, code) => writeErr(`ttv: caddy exited (${code}); restart ${attempt}\n`),
  });
  const stop = () => void supervisor.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const redirectPort = edgeRedirectPort(config);
  writeErr(
    `ttv: edge running on https://${config.edge.host}:${config.server.quic_port} (h3, h2, http/1.1)${redirectPort === null ? '' : `; http://:${redirectPort} redirects to it`}\n`,
  );
  await supervisor.run();
  return 0;
}

export function buildProgram(): Command {
  const program = new Command('ttv')
    .description('Text-to-video pipeline service')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();

  const withCommon = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', 'config file (YAML); repeat to layer files, later ones win', collect)
      .option('--data-dir <dir>', 'where the job database, artifacts and scratch files live (default ./.ttv)');

  withCommon(program.command('serve'))
    .description('run the API with in-process workers (embedded default: SQLite, local storage, offline generator)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8000; 0 picks a free one)', (v) => parsePortFlag(v, '--port'))
    .option('--concurrency <n>', 'jobs run at once by the in-process worker', (v) =>
      parsePositiveIntFlag(v, '--concurrency'),
    )
    .option('--no-worker', 'run the API only')
    .action(async (flags: CommonFlags) => {
      program.setOptionValue('exitCode', await serve(flags, { api: true, worker: flags.worker !== false }));
    });

  withCommon(program.command('worker'))
    .description('run workers only')
    .option('--concurrency <n>', 'jobs run at once', (v) => parsePositiveIntFlag(v, '--concurrency'))
    .action(async (flags: CommonFlags) => {
      program.setOptionValue('exitCode', await serve(flags, { api: false, worker: true }));
    });

  registerClientCommands(program, (code) => program.setOptionValue('exitCode', code));
  registerKeysCommand(program, (code) => program.setOptionValue('exitCode', code));
  registerPruneCommand(program, (code) => program.setOptionValue('exitCode', code));
  registerModelsCommand(program, (code) => program.setOptionValue('exitCode', code));

  withCommon(program.command('generate'))
    .description('run the pipeline once, locally, with a progress bar (the same code the worker runs)')
    .argument('<prompt>', 'what the video should show')
    .option('--out <file>', 'where to write the video (default ./final_video.mp4)')
    .action(async (prompt: string, flags: CommonFlags & { out?: string }) => {
      const [{ loadConfig }, { generate }, { resolve }, { promptSchema }] = await Promise.all([
        import('../config/load-config.js'),
        import('./generate-command.js'),
        import('node:path'),
        import('../api/schemas.js'),
      ]);
      // The API's prompt rules, so that what `generate` accepts a server would accept too.
      const checked = promptSchema.safeParse(prompt);
      if (!checked.success) throw new ConfigError([{ key: 'prompt', message: checked.error.issues[0]!.message }]);
      prompt = checked.data;
      const { config, warnings } = loadConfig({ files: flags.config, env: process.env, cli: overridesFrom(flags) });
      for (const warning of warnings) writeErr(`warning: ${warning}\n`);
      program.setOptionValue('exitCode', await generate(config, prompt, resolve(flags.out ?? 'final_video.mp4')));
    });

  withCommon(program.command('edge'))
    .description('write the Caddy configuration of the HTTP/3 edge; with --run, start and supervise Caddy')
    .option('--out <file>', 'where to write the Caddyfile (default <data-dir>/Caddyfile)')
    .option('--run', 'run Caddy with it and restart it if it crashes')
    .action(async (flags: CommonFlags & { out?: string; run?: boolean }) => {
      program.setOptionValue('exitCode', await edge(flags));
    });

  const configCmd = program.command('config').description('inspect configuration');
  configCmd
    .command('check')
    .description('print the effective configuration (secrets redacted), or the errors')
    .option('-c, --config <file>', 'config file (YAML); repeat to layer files', collect)
    .action(async (flags: { config?: string[] }) => {
      const [{ loadConfig }, { pipelineConfigIssues }, { silentFallbacks }, { redactConfig }, { stringify }] =
        await Promise.all([
          import('../config/load-config.js'),
          import('../pipeline/config-problems.js'),
          import('../config/silent-fallbacks.js'),
          import('../logging/redact.js'),
          import('yaml'),
        ]);
      const { config, warnings, files } = loadConfig({ files: flags.config, env: process.env });
      const backends = pipelineConfigIssues(config);
      if (backends.errors.length) throw new ConfigError(backends.errors);
      // Reads redis.tls's files as a start would: an unreadable one is named here too.
      if (config.redis) (await import('../stores/redis-endpoint.js')).redisEndpoint(config.redis);
      for (const warning of [...warnings, ...backends.warnings, ...silentFallbacks(config)])
        writeErr(`warning: ${warning}\n`);
      writeOut(`# effective configuration${files.length ? ` from ${files.join(', ')}` : ' (defaults)'}\n`);
      writeOut(stringify(redactConfig(config)));
      program.setOptionValue('exitCode', 0);
    });

  return program;
}

// Errors that name a key, flag or path for the operator to fix: exit code 2, with their own message
// (none is wrapped into another).
const OPERATOR_ERRORS = [ConfigError, StartupError, UnsafeBindError, EdgeConfigError];

function isOperatorError(err: unknown): err is Error {
  return OPERATOR_ERRORS.some((type) => err instanceof type);
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue('exitCode') as number | undefined) ?? 0;
  } catch (err) {
    // Help and --version exit 0; every usage error (unknown command or flag, missing or bad argument)
    // exits 2, like the operator errors below, as the README documents.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (isOperatorError(err)) {
      writeErr(`ttv: ${err.message}\n`);
      return 2;
    }
    if (isClientError(err)) {
      writeErr(`${clientErrorMessage(err)}\n`);
      return 1;
    }
    throw err;
  }
}
