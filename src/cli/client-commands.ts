// `ttv submit | status | logs | cancel | download`: a client of a running server.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { ApiClient } from '../client/api-client.js';
import { ApiClientError } from '../errors/api-client-error.js';
import { ConfigError } from '../errors/config-error.js';
import { parsePositiveIntFlag } from '../config/cli-overrides.js';
import { progressBar } from './progress-bar.js';
import { hideInOutput, writeErr, writeOut } from './output.js';

interface ClientFlags {
  server?: string;
  token?: string;
}

interface SubmitFlags {
  wait?: boolean;
  out?: string;
  backend?: string;
  mode?: string;
  duration?: string;
  segmentDuration?: string;
  aspectRatio?: string;
  resolution?: string;
  seed?: string;
  negativePrompt?: string;
  image?: string;
  webhook?: string;
  webhookEvents?: string;
  webhookSecretFile?: string;
  maxCost?: string;
}

function numberFlag(value: string, flag: string): number {
  const n = Number(value);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value) || !(n > 0))
    throw new ConfigError([{ key: flag, message: 'must be a positive number' }]);
  return n;
}

/** The per-job options of `ttv submit`'s flags; the server checks each against what it allows. */
function jobOptionsFrom(flags: SubmitFlags): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (flags.backend) options.backend = flags.backend;
  if (flags.mode) options.generation_mode = flags.mode;
  if (flags.duration) options.duration_seconds = numberFlag(flags.duration, '--duration');
  if (flags.segmentDuration) options.segment_duration_seconds = numberFlag(flags.segmentDuration, '--segment-duration');
  if (flags.aspectRatio) options.aspect_ratio = flags.aspectRatio;
  if (flags.resolution) options.resolution = flags.resolution;
  if (flags.seed !== undefined) {
    if (!/^[0-9]{1,10}$/.test(flags.seed))
      throw new ConfigError([{ key: '--seed', message: 'must be a non-negative integer' }]);
    options.seed = Number(flags.seed);
  }
  if (flags.negativePrompt) options.negative_prompt = flags.negativePrompt;
  if (flags.webhook) {
    options.webhook = {
      url: flags.webhook,
      ...(flags.webhookEvents
        ? {
            events: flags.webhookEvents
              .split(',')
              .map((e) => e.trim())
              .filter(Boolean),
          }
        : {}),
    };
  }
  if (flags.maxCost) options.max_cost_usd = numberFlag(flags.maxCost, '--max-cost');
  return options;
}

async function readImage(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigError([
      { key: '--image', message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
}

function clientFrom(flags: ClientFlags): ApiClient {
  const server = flags.server ?? process.env.TTV_SERVER ?? 'http://127.0.0.1:8000';
  try {
    const url = new URL(server);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError([{ key: '--server', message: 'must be an http(s) URL' }]);
  }
  const token = flags.token ?? process.env.TTV_TOKEN ?? process.env.TTV_AUTH_TOKEN;
  hideInOutput([token]);
  return new ApiClient({ server, token });
}

const print = (value: unknown) => writeOut(`${JSON.stringify(value, null, 2)}\n`);

export function registerClientCommands(program: Command, setExitCode: (code: number) => void): void {
  const withClient = (cmd: Command) =>
    cmd
      .option('--server <url>', 'ttv server (default $TTV_SERVER or http://127.0.0.1:8000)')
      .option('--token <token>', 'bearer token (default $TTV_TOKEN)');

  withClient(program.command('submit'))
    .description('submit a prompt; with --wait, follow it to the end with a progress bar')
    .argument('<prompt>', 'what the video should show')
    .option('--wait', 'follow the job until it ends')
    .option('--out <file>', 'with --wait: download the finished video here')
    .option('--backend <id>', 'video backend (per-job option; the server must allow it, see GET /v1/capabilities)')
    .option('--mode <mode>', 'generation mode: keyframe or chaining')
    .option('--duration <seconds>', 'length of the whole video in seconds')
    .option('--segment-duration <seconds>', 'length of each segment in seconds')
    .option('--aspect-ratio <ratio>', 'aspect ratio, e.g. 16:9')
    .option('--resolution <WxH>', 'frame size, e.g. 1280x720 (backends that take one)')
    .option('--seed <n>', 'seed, for reproducible renders on backends that take one')
    .option('--negative-prompt <text>', 'what the video should not show')
    .option('--image <file>', 'first frame (PNG, JPEG or WebP), uploaded with the job')
    .option('--webhook <url>', "this job's own webhook; its signing secret is written once to --webhook-secret-file")
    .option(
      '--webhook-secret-file <file>',
      "where to keep the job's webhook secret (mode 0600; default ttv-webhook-<job id>.secret)",
    )
    .option('--webhook-events <list>', 'comma-separated events for --webhook (default: all)')
    .option('--max-cost <usd>', 'refuse the job if its estimated cost is higher')
    .action(async (prompt: string, flags: ClientFlags & SubmitFlags) => {
      const client = clientFrom(flags);
      const image = flags.image ? { bytes: await readImage(flags.image), name: basename(flags.image) } : undefined;
      const job = await client.submit(prompt, jobOptionsFrom(flags), image);
      writeOut(`${job.id}\n`);
      // Never on the terminal (every CLI line is redacted): the secret goes to a private file.
      if (job.webhook_secret) {
        const file = flags.webhookSecretFile ?? `ttv-webhook-${job.id}.secret`;
        await writeFile(file, `${job.webhook_secret}\n`, { mode: 0o600, flag: 'wx' });
        writeErr(`webhook secret written to ${file} (the server shows it only once)\n`);
      }
      if (!flags.wait) return setExitCode(0);
      const bar = progressBar(process.stderr);
      const final = await client.follow(job.id, (event) => {
        if (event.type === 'progress' || event.type === 'status') {
          bar.update(Number(event.data.progress ?? 0), String(event.data.stage ?? event.data.status ?? ''));
        }
      });
      bar.done();
      writeErr(`job ${final.id} ${final.status}${final.error ? `: ${final.error}` : ''}\n`);
      if (final.status === 'finished' && flags.out) {
        const bytes = await client.download(final.id, flags.out);
        writeErr(`saved ${flags.out} (${bytes} bytes)\n`);
      }
      setExitCode(final.status === 'finished' ? 0 : 1);
    });

  // Commands that call the API for one job and print its answer.
  const printJob = (name: string, description: string, call: (client: ApiClient, id: string) => Promise<unknown>) =>
    withClient(program.command(name))
      .description(description)
      .argument('<id>')
      .action(async (id: string, flags: ClientFlags) => {
        print(await call(clientFrom(flags), id));
        setExitCode(0);
      });

  printJob('status', 'print a job', (client, id) => client.status(id));

  withClient(program.command('logs'))
    .description("print a job's log lines; --follow streams new ones until the job ends")
    .argument('<id>')
    .option('--tail <n>', 'newest lines to print (default 100)', (v) => parsePositiveIntFlag(v, '--tail'))
    .option('--follow', 'keep printing new lines until the job ends')
    .action(async (id: string, flags: ClientFlags & { tail?: number; follow?: boolean }) => {
      const client = clientFrom(flags);
      if (!flags.follow) {
        for (const line of await client.logs(id, flags.tail ?? 100)) writeOut(`${line}\n`);
        return setExitCode(0);
      }
      // --tail N: the newest N kept lines first, then only lines not seen yet (the event stream
      // replays the job's journal from its start; lines carry their timestamp, so equal means seen).
      const seen = new Set<string>();
      if (flags.tail !== undefined) {
        const kept = await client.logs(id, 0);
        for (const line of kept) seen.add(line);
        for (const line of kept.slice(-flags.tail)) writeOut(`${line}\n`);
      }
      const final = await client.follow(id, (event) => {
        if (event.type !== 'log') return;
        const line = String(event.data.line);
        if (seen.has(line)) return;
        seen.add(line);
        writeOut(`${line}\n`);
      });
      // Following succeeded whatever the job's outcome: exit 0, the last line says how it ended.
      writeOut(`job ${final.id} ${final.status}${final.error ? `: ${final.error}` : ''}\n`);
      setExitCode(0);
    });

  printJob('cancel', 'cancel a queued or running job', (client, id) => client.cancel(id));

  withClient(program.command('download'))
    .description("download a finished job's video")
    .argument('<id>')
    .option('--out <file>', 'where to write it (default <id>.mp4)')
    .action(async (id: string, flags: ClientFlags & { out?: string }) => {
      const out = flags.out ?? `${id}.mp4`;
      const bytes = await clientFrom(flags).download(id, out);
      writeErr(`saved ${out} (${bytes} bytes)\n`);
      setExitCode(0);
    });
}

export function isClientError(err: unknown): err is ApiClientError {
  return err instanceof ApiClientError;
}

/** The `ttv:` line for a failed client call; a 401 says where the token goes. */
export function clientErrorMessage(err: ApiClientError): string {
  const hint =
    err.status === 401 ? " (pass the server's token with --token or the TTV_TOKEN environment variable)" : '';
  return `ttv: ${err.serverCode}: ${err.message}${hint}`;
}
