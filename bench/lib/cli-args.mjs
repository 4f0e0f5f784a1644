// Flags every bench takes: --quick (short durations, small seeds), --json FILE (write the figures for
// bench:all), --generators autocannon,wrk (which load generators to use where a bench uses both).
import { parseArgs } from 'node:util';

export function benchArgs(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      generators: { type: 'string', default: 'autocannon,wrk' },
    },
    strict: true,
  });
  const generators = values.generators
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  for (const g of generators) {
    if (g !== 'autocannon' && g !== 'wrk')
      throw new Error(`--generators: unknown load generator "${g}" (autocannon, wrk)`);
  }
  return { quick: values.quick, json: values.json ?? null, generators };
}
