import { describe, expect, it } from 'vitest';
import { DeliveryLanes } from '../../../src/webhooks/delivery-lanes.js';

/** A piece of work that runs until the test releases it, recording when it started. */
function held(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  return {
    work: async () => {
      log.push(name);
      await done;
    },
    release: () => release(),
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('DeliveryLanes', () => {
  it('keeps at most perHost attempts of one host in flight, in the order they came', async () => {
    const lanes = new DeliveryLanes(2, 10);
    const log: string[] = [];
    const jobs = ['a1', 'a2', 'a3', 'a4'].map((n) => held(log, n));
    const runs = jobs.map((j) => lanes.run('a', j.work));
    await settle();
    expect(log).toEqual(['a1', 'a2']);
    expect(lanes.load('a')).toEqual({ running: 2, waiting: 2 });
    jobs[1]!.release();
    await settle();
    expect(log).toEqual(['a1', 'a2', 'a3']);
    for (const j of jobs) j.release();
    await Promise.all(runs);
    expect(log).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(lanes.load('a')).toEqual({ running: 0, waiting: 0 });
  });

  it('a host whose attempts never end does not hold up another host', async () => {
    const lanes = new DeliveryLanes(2, 10);
    const log: string[] = [];
    const tarpit = Array.from({ length: 50 }, (_, i) => held(log, `slow${i}`));
    for (const t of tarpit) void lanes.run('slow.example', t.work);
    const quick = await lanes.run('quick.example', async () => {
      log.push('quick');
      return 'answered';
    });
    expect(quick).toBe('answered');
    expect(log).toEqual(['slow0', 'slow1', 'quick']);
    for (const t of tarpit) t.release();
  });

  it('shares the total cap between waiting hosts in turn, not first come first served', async () => {
    const lanes = new DeliveryLanes(5, 1);
    const log: string[] = [];
    const gate = held(log, 'first');
    const first = lanes.run('a', gate.work);
    const runs = [
      ...['a1', 'a2', 'a3'].map((n) =>
        lanes.run('a', async () => {
          log.push(n);
        }),
      ),
      ...['b1', 'b2'].map((n) =>
        lanes.run('b', async () => {
          log.push(n);
        }),
      ),
      lanes.run('c', async () => {
        log.push('c1');
      }),
    ];
    gate.release();
    await Promise.all([first, ...runs]);
    expect(log).toEqual(['first', 'a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('an abort while waiting leaves the queue without running, and frees nothing it did not hold', async () => {
    const lanes = new DeliveryLanes(1, 1);
    const log: string[] = [];
    const gate = held(log, 'holder');
    const holder = lanes.run('a', gate.work);
    const abort = new AbortController();
    const waiting = lanes.run(
      'a',
      async () => {
        log.push('aborted one ran');
      },
      abort.signal,
    );
    const next = lanes.run('b', async () => {
      log.push('b');
    });
    abort.abort(new Error('shutdown'));
    await expect(waiting).rejects.toThrow('shutdown');
    expect(lanes.load('a')).toEqual({ running: 1, waiting: 0 });
    gate.release();
    await Promise.all([holder, next]);
    expect(log).toEqual(['holder', 'b']);
    await expect(lanes.run('a', async () => 'x', abort.signal)).rejects.toThrow('shutdown');
  });

  it('frees the slot when the work throws', async () => {
    const lanes = new DeliveryLanes(1, 1);
    await expect(
      lanes.run('a', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await lanes.run('a', async () => 'next')).toBe('next');
  });
});
