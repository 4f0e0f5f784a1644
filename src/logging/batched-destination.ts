// A log destination that gathers the lines of one event-loop turn and hands them to the underlying
// stream (pino's sonic-boom) as one write at the end of the turn.
//
// Why by hand: sonic-boom's own batching (`minLength`) measures the byte length of its whole pending
// buffer on every line, and without it every line is its own asynchronous write. Under load that cost
// ~5 µs of main-thread CPU per access-log line (bench/cpu-split.mjs A/B in bench/RESULTS.md). Nothing is
// held longer than the current turn, and a synchronous process.exit() still writes what is pending.
import type { DestinationStream } from 'pino';
import { register as onExit } from 'on-exit-leak-free';

export interface FlushableStream extends DestinationStream {
  flush?(cb?: (err?: Error | null) => void): void;
  flushSync?(): void;
}

export interface BatchedDestination extends DestinationStream {
  flush(cb?: (err?: Error | null) => void): void;
  flushSync(): void;
}

export function batchedDestination(target: FlushableStream): BatchedDestination {
  let pending: string[] = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    target.write(text);
  };
  const drainSync = () => {
    drain();
    try {
      target.flushSync?.();
    } catch {
      /* the stream is closed or not open yet: nothing more can be written */
    }
  };
  const destination: BatchedDestination = {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    flush(cb) {
      drain();
      if (target.flush) target.flush(cb);
      else cb?.();
    },
    flushSync: drainSync,
  };
  // A synchronous process.exit() ends the process before the scheduled drain: write what is pending
  // then. pino registers its own streams with the same weakly held registry, ahead of this one.
  onExit(destination, (d) => d.flushSync());
  return destination;
}
