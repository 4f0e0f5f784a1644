import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { GpuAllocator, gpuAllocatorFor, gpusPerSegment } from '../../../src/generators/local/gpu-allocator.js';
import { modelEnvironment } from '../../../src/generators/local/run-local-model.js';

/** Resolves to 'pending' if the promise has not settled after the microtask queue drained. */
async function state<T>(p: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  const marker = Symbol('pending');
  const winner = await Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<typeof marker>((r) => setImmediate(() => r(marker))),
  ]);
  return winner === marker ? 'pending' : winner;
}

describe('GpuAllocator', () => {
  it('hands out distinct ids and takes them back on release', async () => {
    const gpus = new GpuAllocator(4);
    const a = await gpus.acquire(2);
    const b = await gpus.acquire(2);
    expect(a.ids).toEqual([0, 1]);
    expect(b.ids).toEqual([2, 3]);
    expect(gpus.available()).toBe(0);
    a.release();
    a.release(); // idempotent: must not free ids twice
    expect(gpus.available()).toBe(2);
    const c = await gpus.acquire(2);
    expect(c.ids).toEqual([0, 1]);
  });

  it('queues a request until enough ids are released, in arrival order', async () => {
    const gpus = new GpuAllocator(2);
    const first = await gpus.acquire(2);
    const wantsTwo = gpus.acquire(2);
    const wantsOne = gpus.acquire(1);
    expect(await state(wantsTwo)).toBe('pending');
    // The earlier, bigger request is not overtaken by the smaller one.
    expect(await state(wantsOne)).toBe('pending');
    first.release();
    const two = await wantsTwo;
    expect(two.ids).toEqual([0, 1]);
    expect(await state(wantsOne)).toBe('pending');
    two.release();
    expect((await wantsOne).ids).toEqual([0]);
  });

  it('rejects a waiting request with CanceledError when its signal aborts, and lets the next one through', async () => {
    const gpus = new GpuAllocator(2);
    const held = await gpus.acquire(1);
    const controller = new AbortController();
    const big = gpus.acquire(2, controller.signal);
    const small = gpus.acquire(1);
    expect(await state(small)).toBe('pending');
    controller.abort();
    await expect(big).rejects.toBeInstanceOf(CanceledError);
    expect((await small).ids).toEqual([1]);
    held.release();
    expect(gpus.available()).toBe(1);
  });

  it('refuses an already aborted signal and impossible counts', async () => {
    const gpus = new GpuAllocator(2);
    await expect(gpus.acquire(1, AbortSignal.abort())).rejects.toBeInstanceOf(CanceledError);
    await expect(gpus.acquire(3)).rejects.toBeInstanceOf(RangeError);
    await expect(gpus.acquire(0)).rejects.toBeInstanceOf(RangeError);
    expect(gpus.available()).toBe(2);
    expect(() => new GpuAllocator(0)).toThrow(RangeError);
  });
});

describe('gpusPerSegment', () => {
  it('uses gpu_count when set, else an even share of total_gpus, capped at total_gpus', () => {
    expect(gpusPerSegment({ total_gpus: 4, parallel_segments: 2, gpu_count: undefined })).toBe(2);
    expect(gpusPerSegment({ total_gpus: 4, parallel_segments: 3, gpu_count: undefined })).toBe(1);
    expect(gpusPerSegment({ total_gpus: 2, parallel_segments: 8, gpu_count: undefined })).toBe(1);
    expect(gpusPerSegment({ total_gpus: 8, parallel_segments: 1, gpu_count: undefined })).toBe(8);
    expect(gpusPerSegment({ total_gpus: 8, parallel_segments: 4, gpu_count: 3 })).toBe(3);
    expect(gpusPerSegment({ total_gpus: 2, parallel_segments: 1, gpu_count: 8 })).toBe(2);
  });
});

describe('gpuAllocatorFor', () => {
  it('shares one allocator across jobs (each job has its own config object) for the same GPUs', () => {
    const a = configSchema.parse({ total_gpus: 3 });
    const b = configSchema.parse({ total_gpus: 3 });
    const c = configSchema.parse({ total_gpus: 5 });
    expect(gpuAllocatorFor(a)).toBe(gpuAllocatorFor(b));
    expect(gpuAllocatorFor(a)).not.toBe(gpuAllocatorFor(c));
    expect(gpuAllocatorFor(a).total).toBe(3);
  });
});

describe('modelEnvironment', () => {
  it('keeps the service environment but drops variables that hold ttv secrets', () => {
    process.env.TTV_TEST_VENDOR_KEY = 'rw-secret-for-env-test';
    process.env.TTV_TEST_PLAIN = 'visible';
    try {
      const env = modelEnvironment(['rw-secret-for-env-test'], [2, 3]);
      expect(env.TTV_TEST_VENDOR_KEY).toBeUndefined();
      expect(env.TTV_TEST_PLAIN).toBe('visible');
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.CUDA_VISIBLE_DEVICES).toBe('2,3');
    } finally {
      delete process.env.TTV_TEST_VENDOR_KEY;
      delete process.env.TTV_TEST_PLAIN;
    }
  });
});
