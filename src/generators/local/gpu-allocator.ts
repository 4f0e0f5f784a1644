// Hands out GPU device ids to local model runs so that parallel segments never share a device.
// Waiters are queued in order and woken by release() or their AbortSignal, never by a polling timer.
// Hand-written: semaphore libraries (p-limit, async-sema) count permits but cannot hand out *which*
// device ids a run gets, and CUDA_VISIBLE_DEVICES needs the ids.
import type { AppConfig } from '../../config/schema.js';
import { CanceledError } from '../../errors/canceled-error.js';

export interface GpuLease {
  /** Device ids, ascending, for CUDA_VISIBLE_DEVICES. */
  readonly ids: number[];
  /** Gives the ids back; calling it again does nothing. */
  release(): void;
}

interface Waiter {
  count: number;
  grant: (ids: number[]) => void;
}

export class GpuAllocator {
  private readonly free: boolean[];
  private readonly queue: Waiter[] = [];

  constructor(readonly total: number) {
    if (!Number.isInteger(total) || total < 1)
      throw new RangeError(`GpuAllocator needs at least one GPU (got ${total})`);
    this.free = new Array<boolean>(total).fill(true);
  }

  /** How many ids are free right now (for diagnostics and tests). */
  available(): number {
    return this.free.filter(Boolean).length;
  }

  /** Resolves with `count` distinct free ids once they are free; rejects with CanceledError on abort. */
  acquire(count: number, signal?: AbortSignal): Promise<GpuLease> {
    if (!Number.isInteger(count) || count < 1 || count > this.total) {
      return Promise.reject(new RangeError(`cannot allocate ${count} GPU(s) out of ${this.total}`));
    }
    if (signal?.aborted) return Promise.reject(new CanceledError());
    return new Promise<GpuLease>((resolve, reject) => {
      const waiter: Waiter = {
        count,
        grant: (ids) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.lease(ids));
        },
      };
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at < 0) return;
        this.queue.splice(at, 1);
        reject(new CanceledError());
        // The head may have been what held smaller requests back.
        this.drain();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.drain();
    });
  }

  private lease(ids: number[]): GpuLease {
    let released = false;
    return {
      ids,
      release: () => {
        if (released) return;
        released = true;
        for (const id of ids) this.free[id] = true;
        this.drain();
      },
    };
  }

  /** Grants queued requests in arrival order; a head that does not fit blocks the rest (no starvation of big requests). */
  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const ids: number[] = [];
      for (let id = 0; id < this.total && ids.length < head.count; id += 1) if (this.free[id]) ids.push(id);
      if (ids.length < head.count) return;
      this.queue.shift();
      for (const id of ids) this.free[id] = false;
      head.grant(ids);
    }
  }
}

/** GPUs per segment: gpu_count if set, else an even share of total_gpus among parallel segments; never more than total_gpus. */
export function gpusPerSegment(
  config: Pick<AppConfig, 'total_gpus' | 'parallel_segments'> & { gpu_count?: number },
): number {
  const wanted = config.gpu_count ?? Math.max(1, Math.floor(config.total_gpus / config.parallel_segments));
  return Math.min(wanted, config.total_gpus);
}

// One allocator per GPU count for the whole process: every job's config is a fresh object, and
// concurrent jobs of one worker share the same physical GPUs.
const allocators = new Map<number, GpuAllocator>();

export function gpuAllocatorFor(config: Pick<AppConfig, 'total_gpus'>): GpuAllocator {
  let allocator = allocators.get(config.total_gpus);
  if (!allocator) {
    allocator = new GpuAllocator(config.total_gpus);
    allocators.set(config.total_gpus, allocator);
  }
  return allocator;
}
