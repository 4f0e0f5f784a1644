// The segment record writer (pipeline/stages/segment-record-writer.ts): a store failure does not hold
// the segment up or throw (the record is tried again, the newest record wins), and a refusal because
// the job is no longer the attempt's is thrown, so that the generator cancels the task it created.
import { describe, expect, it } from 'vitest';
import { SegmentRecordWriter } from '../../../src/pipeline/stages/segment-record-writer.js';
import { LeaseLostError } from '../../../src/errors/lease-lost-error.js';
import type { SegmentRecord } from '../../../src/jobs/segment-records.js';
import { waitFor } from '../../support/wait-for.js';

const task = { backend: 'runway', model: 'gen4_turbo', taskId: 't1', createdAt: new Date().toISOString() };

describe('SegmentRecordWriter', () => {
  it('goes on after a failed write and stores the newest record once the store answers again', async () => {
    const stored: SegmentRecord[] = [];
    let failing = 3;
    const lines: string[] = [];
    const writer = new SegmentRecordWriter(
      async (r) => {
        if (failing > 0) {
          failing -= 1;
          throw new Error('Command timed out');
        }
        stored.push(r);
      },
      (m) => lines.push(m),
      { firstDelayMs: 5, maxDelayMs: 20 },
    );
    await writer.record({ segment: 1, requestHash: 'h', task });
    expect(writer.written).toBe(false);
    const clip = { segment: 1, requestHash: 'h', task, clip: { path: '/kept/segment_01.mp4', costUsd: 0.25 } };
    await writer.record(clip);
    expect(await writer.settle(10_000)).toBe(true);
    // The task-only record was replaced by the clip record before the store took either.
    expect(stored).toEqual([clip]);
    expect(lines[0]).toMatch(/^Segment 1: its record could not be stored \(Command timed out\); trying again/);
    expect(lines.at(-1)).toMatch(/^Segment 1: its record is stored now \(after 3 failed tries\)/);
  });

  it("throws LeaseLostError when the job is no longer the attempt's, and writes nothing more", async () => {
    let calls = 0;
    const writer = new SegmentRecordWriter(
      async () => {
        calls += 1;
        throw new LeaseLostError('job-1', 'lost');
      },
      () => undefined,
    );
    await expect(writer.record({ segment: 2, requestHash: 'h', task })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(writer.record({ segment: 2, requestHash: 'h', task })).rejects.toBeInstanceOf(LeaseLostError);
    expect(calls).toBe(1);
  });

  it('gives up a pending record once stopped (the attempt is over): settle says it is not stored', async () => {
    let calls = 0;
    const writer = new SegmentRecordWriter(
      async () => {
        calls += 1;
        throw new Error('down');
      },
      () => undefined,
      { firstDelayMs: 5, maxDelayMs: 5 },
    );
    await writer.record({ segment: 3, requestHash: 'h', task });
    await waitFor(async () => (calls >= 2 ? true : null), { what: 'a retry' });
    writer.stop();
    expect(await writer.settle(10_000)).toBe(false);
    expect(writer.written).toBe(false);
  });
});
