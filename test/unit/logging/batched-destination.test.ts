import { describe, expect, it } from 'vitest';
import { batchedDestination } from '../../../src/logging/batched-destination.js';

function recordingStream() {
  const writes: string[] = [];
  const calls: string[] = [];
  return {
    writes,
    calls,
    write(text: string) {
      writes.push(text);
    },
    flush(cb?: (err?: Error | null) => void) {
      calls.push('flush');
      cb?.();
    },
    flushSync() {
      calls.push('flushSync');
    },
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('batchedDestination', () => {
  it('hands the lines of one event-loop turn to the stream as one write, in order, when the turn ends', async () => {
    const target = recordingStream();
    const destination = batchedDestination(target);
    destination.write('a\n');
    destination.write('b\n');
    destination.write('c\n');
    expect(target.writes).toEqual([]);
    await nextTurn();
    expect(target.writes).toEqual(['a\nb\nc\n']);
    destination.write('d\n');
    await nextTurn();
    expect(target.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('flush() and flushSync() write what is pending at once, then flush the stream', async () => {
    const target = recordingStream();
    const destination = batchedDestination(target);
    destination.write('x\n');
    let flushed = false;
    destination.flush(() => {
      flushed = true;
    });
    expect(target.writes).toEqual(['x\n']);
    expect(flushed).toBe(true);
    destination.write('y\n');
    destination.flushSync();
    expect(target.writes).toEqual(['x\n', 'y\n']);
    expect(target.calls).toEqual(['flush', 'flushSync']);
    await nextTurn();
    expect(target.writes).toEqual(['x\n', 'y\n']);
  });
});
