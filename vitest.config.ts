import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores, but most test files wait on the processes, servers and timers they start: three files
    // at a time finished the suite in 417 s against 485 s with two; four was slower again (CPU-bound).
    maxWorkers: 3,
    testTimeout: 90_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Unit tests start no servers or processes of their own that outlive a file: they share one
        // module graph per worker instead of importing it again for each file (the unit run took 42 s
        // instead of 57 s on a loaded 2-core machine; half its CPU time was imports).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: { name: 'services', include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'] },
      },
    ],
  },
});
