// Runs Caddy with a written Caddyfile and keeps it running: restarts it after a crash with
// exponential backoff (at most 5 restarts a minute), stops it on SIGTERM/SIGINT.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export interface EdgeSupervisorOptions {
  caddyPath: string;
  caddyfile: string;
  /**
   * Directory for Caddy's own files: its autosaved config ($XDG_CONFIG_HOME/caddy), data
   * ($XDG_DATA_HOME/caddy) and the local CA's ~/.step. Caddy is pointed there so it writes nothing
   * into the user's home.
   */
  stateDir: string;
  /** Lines Caddy prints (JSON logs), for the operator. */
  onOutput?: (line: string) => void;
  onRestart?: (attempt: number, code: number | null) => void;
}

export class EdgeSupervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts: number[] = [];

  constructor(private readonly options: EdgeSupervisorOptions) {}

  /** Resolves when the edge has been stopped, rejects when Caddy cannot be kept running. */
  async run(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const code = await this.once();
      if (this.stopping) return;
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < 60_000);
      if (this.restarts.length >= 5) throw new Error(`caddy keeps exiting (last exit code ${code}); giving up`);
      this.restarts.push(now);
      this.options.onRestart?.(attempt + 1, code);
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** this.restarts.length, 5000)));
      if (this.stopping) return;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await once(child, 'exit');
    clearTimeout(timer);
  }

  private once(): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        this.options.caddyPath,
        ['run', '--config', this.options.caddyfile, '--adapter', 'caddyfile'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            HOME: join(this.options.stateDir, 'home'),
            XDG_CONFIG_HOME: join(this.options.stateDir, 'config'),
            XDG_DATA_HOME: join(this.options.stateDir, 'data'),
          },
        },
      );
      this.child = child;
      let pending = '';
      const onData = (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.options.onOutput?.(line);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (err) =>
        reject(new Error(`cannot start ${this.options.caddyPath}: ${err.message} (install the caddy package)`)),
      );
      child.once('exit', (code) => resolve(code));
    });
  }
}
