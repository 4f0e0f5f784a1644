// Command-line flags that override config keys (file < env < CLI < HTTP).
import { ConfigError } from '../errors/config-error.js';
import { setPath } from './env-overrides.js';

export interface CliOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  concurrency?: number;
  noWorker?: boolean;
}

export function applyCliOverrides(raw: Record<string, unknown>, cli: CliOverrides): void {
  if (cli.host !== undefined) setPath(raw, 'server.host', cli.host);
  if (cli.port !== undefined) setPath(raw, 'server.port', cli.port);
  if (cli.dataDir !== undefined) setPath(raw, 'data_dir', cli.dataDir);
  if (cli.concurrency !== undefined) setPath(raw, 'worker.concurrency', cli.concurrency);
  if (cli.noWorker) setPath(raw, 'worker.enabled', false);
}

export function parsePortFlag(value: string, flag: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new ConfigError([{ key: flag, message: 'must be an integer between 0 and 65535' }]);
  }
  return Number(value);
}

export function parsePositiveIntFlag(value: string, flag: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
    throw new ConfigError([{ key: flag, message: 'must be a positive integer' }]);
  }
  return Number(value);
}
