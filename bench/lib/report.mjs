// Figures as rows (figure, value, reference, ratio, target, met) and the end of every bench: print
// its table, write its rows for bench:all (--json), and exit non-zero when any run answered with
// anything but what it meant to measure.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * @param {object} r
 * @param {string} r.figure
 * @param {number} r.value
 * @param {string} r.unit
 * @param {string} [r.reference]        what it is compared with
 * @param {number} [r.referenceValue]
 * @param {'>='|'<='} [r.op]            target on the ratio value/referenceValue (or on value when there is no reference)
 * @param {number} [r.target]
 */
export function figure(r) {
  const ratio =
    r.referenceValue !== undefined && r.referenceValue !== null && r.referenceValue !== 0
      ? r.value / r.referenceValue
      : null;
  const compared = ratio ?? r.value;
  let met = null;
  if (r.op && r.target !== undefined && Number.isFinite(compared))
    met = r.op === '>=' ? compared >= r.target : compared <= r.target;
  return {
    figure: r.figure,
    value: r.value,
    unit: r.unit,
    reference: r.reference ?? null,
    referenceValue: r.referenceValue ?? null,
    ratio,
    op: r.op ?? null,
    target: r.target ?? null,
    met,
  };
}

const num = (v) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US').replace(/,/g, ' ');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
};

export function formatRow(row) {
  const ref = row.reference ? `${row.reference} (${num(row.referenceValue)})` : '–';
  let ratio = '–';
  if (row.ratio !== null) ratio = row.op === '<=' ? `${row.ratio.toFixed(2)}×` : `${(row.ratio * 100).toFixed(1)} %`;
  let target = 'report';
  if (row.op && row.ratio !== null)
    target = row.op === '<=' ? `≤ ${row.target}×` : `≥ ${(row.target * 100).toFixed(0)} %`;
  else if (row.op) target = `${row.op === '<=' ? '≤' : '≥'} ${num(row.target)} ${row.unit}`;
  const met = row.met === null ? '–' : row.met ? 'met' : 'NOT met';
  return [row.figure, `${num(row.value)} ${row.unit}`, ref, ratio, target, met];
}

export function markdownTable(rows) {
  const head = '| figure | value | compared with | ratio | target | met |\n|---|---|---|---|---|---|';
  return `${head}\n${rows.map((r) => `| ${formatRow(r).join(' | ')} |`).join('\n')}`;
}

export function textTable(rows) {
  const cells = [['figure', 'value', 'compared with', 'ratio', 'target', 'met'], ...rows.map(formatRow)];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells
    .map((c) =>
      c
        .map((v, i) => v.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function machine() {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`;
}

/**
 * Prints the bench's table, its notes and any answer problems, writes --json, sets the exit code.
 * @param {{ bench: string, args: {json: string|null, quick: boolean}, rows: object[], runs: object[], notes?: string[] }} result
 */
export function finishBench({ bench, args, rows, runs, notes = [] }) {
  const problems = runs.flatMap((r) => (r.problems ?? []).map((p) => `${r.label}: ${p}`));
  console.log(`\n${bench}${args.quick ? ' (--quick)' : ''}: ${machine()}`);
  console.log(textTable(rows));
  for (const n of notes) console.log(`  ${n}`);
  if (problems.length > 0) {
    console.log(`\n${bench}: ${problems.length} run(s) answered with something other than what they measure:`);
    for (const p of problems) console.log(`  ✗ ${p}`);
  } else {
    console.log(
      `${bench}: every run counted only the answers it meant (${runs.length} runs, ${runs.reduce((s, r) => s + (r.other ?? 0), 0)} other answers)`,
    );
  }
  if (args.json)
    writeFileSync(args.json, JSON.stringify({ bench, quick: args.quick, rows, notes, problems, runs }, null, 2));
  process.exitCode = problems.length > 0 ? 1 : 0;
}
