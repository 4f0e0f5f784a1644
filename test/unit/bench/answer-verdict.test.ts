// The rule that keeps the benchmarks honest: a run counts only the answers it meant to measure.
import { describe, expect, it } from 'vitest';
import { answerVerdict } from '../../../bench/lib/answer-verdict.mjs';

const clean = { expectStatus: 200, statusCounts: { 200: 5000 }, bodiesChecked: 100, bodiesFailed: 0 };

describe('answerVerdict', () => {
  it('accepts a run where every answer is the expected status and sampled bodies match', () => {
    expect(answerVerdict(clean)).toEqual({ ok: 5000, other: 0, clean: true, problems: [] });
  });

  it('rejects a run with a single 429 among the answers and names it', () => {
    const v = answerVerdict({ ...clean, statusCounts: { 200: 4999, 429: 1 } });
    expect(v.clean).toBe(false);
    expect(v.ok).toBe(4999);
    expect(v.other).toBe(1);
    expect(v.problems).toEqual(['1 answers with status 429 (expected 200)']);
  });

  it('rejects a run measuring only rate-limit answers (the old npm run bench)', () => {
    const v = answerVerdict({ ...clean, statusCounts: { 429: 55717 } });
    expect(v.clean).toBe(false);
    expect(v.ok).toBe(0);
    expect(v.problems).toContain('no answer with status 200');
  });

  it('treats a 2xx other than the expected one as wrong (a 200 where 202 was meant)', () => {
    const v = answerVerdict({ ...clean, expectStatus: 202, statusCounts: { 202: 10, 200: 3 } });
    expect(v.clean).toBe(false);
    expect(v.other).toBe(3);
  });

  it('rejects socket errors, timeouts, wrong-shaped bodies and runs where no body was checked', () => {
    expect(answerVerdict({ ...clean, socketErrors: 2 }).problems).toEqual(['2 socket errors']);
    expect(answerVerdict({ ...clean, timeouts: 1 }).problems).toEqual(['1 timeouts']);
    expect(answerVerdict({ ...clean, bodiesChecked: 0 }).problems).toEqual(['no body was checked']);
    const bad = answerVerdict({ ...clean, bodiesFailed: 1, firstBadBody: '{"jobs":[]}' });
    expect(bad.clean).toBe(false);
    expect(bad.problems[0]).toContain('{"jobs":[]}');
  });
});
