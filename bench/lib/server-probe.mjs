// Preloaded into a server under test (`node --import ./bench/lib/server-probe.mjs bin/ttv.js serve`),
// so the bench can read the server's own view without touching src/: on SIGUSR2 it appends one JSON
// line to $TTV_BENCH_PROBE_FILE with cumulative event-loop utilisation, the event-loop delay
// histogram since the previous line (then reset), GC pauses since the previous line, memory and the
// process's cumulative CPU time (µs; unlike wall-clock figures, barely moved by other processes' load).
// With --expose-gc it collects garbage first, so RSS/heap figures are settled.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.TTV_BENCH_PROBE_FILE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let gcCount = 0;
  let gcMs = 0;
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount += 1;
      gcMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const elu = performance.eventLoopUtilization();
    const ns = (v) => Math.round(v / 1e3) / 1e3; // ns → ms, 3 decimals
    const line = {
      at: performance.now(),
      elu: { idle: elu.idle, active: elu.active },
      delay: { p50: ns(delay.percentile(50)), p99: ns(delay.percentile(99)), max: ns(delay.max), count: delay.count },
      gc: { count: gcCount, ms: gcMs, maxMs: gcMaxMs },
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
    };
    delay.reset();
    gcCount = 0;
    gcMs = 0;
    gcMaxMs = 0;
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
