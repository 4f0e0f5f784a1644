// Notices a Redis that lost its data (restarted without persistence, flushed, failed over to an empty
// replica). At first start ttv writes a marker hash `<prefix>:meta` (instance_id, created_at) and every
// process remembers the instance it saw: in memory and in `<data_dir>/redis-stores.json`. When the
// marker is gone, or carries another instance id, the data ttv knew is gone: ttv writes a new marker
// with `data_lost_at` and `previous_instance_id`, logs an error, and `/readyz` lists the warning
// `job_store_data_lost` in every process (the marker is shared), until an operator clears it with
// `HDEL <prefix>:meta data_lost_at` after looking into it.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redis } from 'ioredis';
import type { StoreWarning } from '../job-queue.js';

export interface StoreMarkerOptions {
  redis: Redis;
  /** "<prefix>:meta" */
  key: string;
  /** Names this store in the memory file: host:port/db and key prefix, never credentials. */
  storeId: string;
  /** Where this host remembers the instances it saw; null = memory of this process only. */
  memoryFile: string | null;
  onDataLost?: (warning: StoreWarning, previousInstanceId: string) => void;
}

type Memory = Record<string, string>;

export class RedisStoreMarker {
  private instanceId: string | null = null;
  private reported: string | null = null;
  private checking: Promise<StoreWarning | null> | null = null;

  constructor(private readonly options: StoreMarkerOptions) {}

  /** Reads (and at first start writes) the marker; the data-loss warning, or null. Overlapping calls share one check. */
  check(): Promise<StoreWarning | null> {
    this.checking ??= this.run().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  private async run(): Promise<StoreWarning | null> {
    const { redis, key } = this.options;
    // The file is read until this process has seen the instance itself (then memory is enough).
    const memory = this.instanceId === null ? await this.readMemory() : null;
    const known = this.instanceId ?? memory?.[this.options.storeId] ?? null;
    let meta = await redis.hgetall(key);
    if (!meta.instance_id) {
      // HSETNX: of several processes starting (or noticing) at once, one writes the marker.
      await redis.hsetnx(key, 'instance_id', randomUUID());
      await redis.hsetnx(key, 'created_at', new Date().toISOString());
      meta = await redis.hgetall(key);
    }
    if (known !== null && meta.instance_id !== known && meta.previous_instance_id !== known) {
      const lostAt = new Date().toISOString();
      await redis.hset(key, 'data_lost_at', lostAt, 'previous_instance_id', known);
      meta = { ...meta, data_lost_at: lostAt, previous_instance_id: known };
    }
    const current = meta.instance_id ?? null;
    if (current && current !== this.instanceId) {
      this.instanceId = current;
      const stored = memory ?? (await this.readMemory());
      if (stored[this.options.storeId] !== current)
        await this.writeMemory({ ...stored, [this.options.storeId]: current });
    }
    if (!meta.data_lost_at) return null;
    const warning: StoreWarning = {
      reason: 'job_store_data_lost',
      message:
        'Redis lost the job data ttv stored (restarted without persistence, flushed or replaced): jobs submitted before ' +
        `${meta.data_lost_at} are gone. Enable AOF persistence (appendonly yes); clear this warning with HDEL ${key} data_lost_at`,
      since: meta.data_lost_at,
    };
    if (this.reported !== warning.since) {
      this.reported = warning.since;
      this.options.onDataLost?.(warning, meta.previous_instance_id ?? '');
    }
    return warning;
  }

  private async readMemory(): Promise<Memory> {
    if (!this.options.memoryFile) return {};
    try {
      const parsed = JSON.parse(await readFile(this.options.memoryFile, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Memory) : {};
    } catch {
      return {};
    }
  }

  private async writeMemory(memory: Memory): Promise<void> {
    const file = this.options.memoryFile;
    if (!file) return;
    // Best effort (a read-only data dir keeps the memory of this process only); temp file + rename so a
    // crash never leaves half a file.
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, `${JSON.stringify(memory, null, 2)}\n`, { mode: 0o600 });
      await rename(partial, file);
    } catch {
      /* remembered in this process only */
    }
  }
}
