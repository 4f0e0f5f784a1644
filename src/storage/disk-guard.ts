// Free space under the data dir against worker.min_free_disk_mb: below it a worker takes no new job
// (it would fail halfway through an ffmpeg write), and /readyz says why. The figure is cached for a
// moment, because the consumers ask before every claim.
import type { AppConfig } from '../config/schema.js';
import { mkdirSync, statfsSync, type StatsFs } from 'node:fs';
import { resolve } from 'node:path';

export interface DiskGuardOptions {
  dir: string;
  /** 0 turns the guard off. */
  minFreeMb: number;
  /** How long one statfs reading is trusted (default 2000 ms). */
  cacheMs?: number;
  /** Injectable for tests; default fs.statfsSync. */
  statfs?: (dir: string) => Pick<StatsFs, 'bavail' | 'bsize'>;
}

const MB = 1024 * 1024;

export class DiskGuard {
  readonly dir: string;
  private readonly statfs: (dir: string) => Pick<StatsFs, 'bavail' | 'bsize'>;
  private readonly cacheMs: number;
  private cached: { reason: string | null; at: number } | null = null;

  constructor(private readonly options: DiskGuardOptions) {
    this.dir = resolve(options.dir);
    this.statfs = options.statfs ?? ((dir) => statfsSync(dir));
    this.cacheMs = options.cacheMs ?? 2000;
  }

  /** Free megabytes available to this (unprivileged) process under the dir. */
  freeMb(): number {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stats = this.statfs(this.dir);
    return (Number(stats.bavail) * Number(stats.bsize)) / MB;
  }

  /** Drops the cached reading: the next reason() reads the disk again (after a write failed for lack of space). */
  forget(): void {
    this.cached = null;
  }

  /** Why no new job should start now, or null; usable as ConsumeOptions.gate. */
  reason(): string | null {
    if (this.options.minFreeMb <= 0) return null;
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.reason;
    let reason: string | null;
    try {
      const free = this.freeMb();
      reason =
        free < this.options.minFreeMb
          ? `low disk space: ${Math.floor(free)} MB free under the data dir, below worker.min_free_disk_mb (${this.options.minFreeMb} MB); new jobs wait`
          : null;
    } catch (err) {
      reason = `cannot read free disk space under the data dir (${(err as NodeJS.ErrnoException).code ?? 'error'}); new jobs wait`;
    }
    this.cached = { reason, at: now };
    return reason;
  }
}

/** The guard of the data dir (or another dir the worker writes in) at worker.min_free_disk_mb: built here only. */
export function dataDirGuard(config: Pick<AppConfig, 'data_dir' | 'worker'>, dir: string = config.data_dir): DiskGuard {
  return new DiskGuard({ dir, minFreeMb: config.worker.min_free_disk_mb });
}
