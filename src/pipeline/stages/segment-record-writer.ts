// Writes one segment's records (jobs/segment-records.ts) so that a store stall never throws away a
// paid vendor task. The task is paid (or billing) once the vendor created it: cancelling it because
// its record could not be written at once would waste it and, on a retry, pay for a new one, while
// following it unrecorded only risks a second task if this worker also dies before the store comes
// back. So a write the store fails (down, paused, timed out) is retried with bounded backoff in the
// background while the caller goes on (the vendor task is polled meanwhile); a newer record of the
// segment replaces a pending one (the clip record carries the task too). Only a refusal because the
// job is no longer this attempt's (LeaseLostError) is thrown: then another attempt owns the segment
// and the task must be cancelled.
import { LeaseLostError } from '../../errors/lease-lost-error.js';
import type { SegmentRecord } from '../../jobs/segment-records.js';

export interface SegmentRecordWriterOptions {
  /** How long a write may keep the caller waiting before it goes on and the write continues alone. */
  patienceMs?: number;
  /** First and longest pause between tries. */
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export class SegmentRecordWriter {
  private pending: SegmentRecord | null = null;
  private loop: Promise<void> | null = null;
  private lost: LeaseLostError | null = null;
  private stopped = false;
  private failures = 0;
  private readonly waiters = new Set<() => void>();
  private readonly patienceMs: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly write: (record: SegmentRecord) => Promise<void>,
    private readonly log: (message: string) => void,
    options: SegmentRecordWriterOptions = {},
  ) {
    this.patienceMs = options.patienceMs ?? 1000;
    this.firstDelayMs = options.firstDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
  }

  /** Whether every record handed to record() is stored. */
  get written(): boolean {
    return this.pending === null && this.lost === null;
  }

  /**
   * Stores `record` (replacing a pending older one). Resolves when it is stored, or once the store
   * has failed it or `patienceMs` passed (it is then retried in the background). Throws
   * LeaseLostError when the job is no longer this attempt's.
   */
  async record(record: SegmentRecord): Promise<void> {
    if (this.lost) throw this.lost;
    this.pending = record;
    const failuresBefore = this.failures;
    this.loop ??= this.run();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.lost || this.pending !== record || this.failures > failuresBefore || this.stopped) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      this.waiters.add(check);
      timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve();
      }, this.patienceMs);
      check();
    });
    if (this.lost) throw this.lost;
  }

  /** Waits up to `ms` for the pending record to be stored; true when nothing is left to write. */
  async settle(ms: number): Promise<boolean> {
    if (this.written || this.stopped) return this.written;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.pending === null || this.lost || this.stopped) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      this.waiters.add(check);
      timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve();
      }, ms);
    });
    return this.written;
  }

  /** No more tries (the attempt is over): a write in flight still lands or fails on its own. */
  stop(): void {
    this.stopped = true;
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async run(): Promise<void> {
    let delay = this.firstDelayMs;
    while (this.pending && !this.stopped) {
      const record = this.pending;
      try {
        await this.write(record);
        if (this.pending === record) this.pending = null;
        if (this.failures > 0)
          this.log(
            `Segment ${record.segment}: its record is stored now (after ${this.failures} failed ${this.failures === 1 ? 'try' : 'tries'})`,
          );
        this.failures = 0;
        delay = this.firstDelayMs;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          this.lost = err;
          this.pending = null;
          break;
        }
        this.failures += 1;
        if (this.failures === 1) {
          this.log(
            `Segment ${record.segment}: its record could not be stored (${err instanceof Error ? err.message : String(err)}); trying again while the segment goes on`,
          );
        }
        this.notify();
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.maxDelayMs);
      }
      this.notify();
    }
    this.loop = null;
    this.notify();
  }
}
