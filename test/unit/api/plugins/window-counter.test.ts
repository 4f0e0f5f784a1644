import { describe, expect, it } from 'vitest';
import { MemoryWindowCounter, setBounded } from '../../../../src/api/plugins/window-counter.js';

describe('MemoryWindowCounter', () => {
  it('counts in fixed one-minute windows per client, synchronously', () => {
    const counter = new MemoryWindowCounter();
    expect(counter.add('a', 0)).toEqual({ count: 1, resetMs: 60_000 });
    expect(counter.add('a', 10_000)).toEqual({ count: 2, resetMs: 50_000 });
    expect(counter.add('b', 10_000)).toEqual({ count: 1, resetMs: 60_000 });
    expect(counter.add('a', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
  });
});

describe('setBounded', () => {
  it('drops ended windows from the front when it sets a new one, and keeps live ones', () => {
    const map = new Map<string, { until: number }>();
    setBounded(map, 'a', { until: 100 }, 0);
    setBounded(map, 'b', { until: 200 }, 50);
    setBounded(map, 'c', { until: 300 }, 150);
    expect([...map.keys()]).toEqual(['b', 'c']);
    setBounded(map, 'b', { until: 400 }, 160);
    expect([...map.keys()]).toEqual(['c', 'b']);
  });
});
