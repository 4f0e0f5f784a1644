// `ttv models [--json]`: the model catalog as this config sees it (the shipped rows with the
// config's `models:` laid over them). A local command: it lists every row, retired ones too, with
// whether the config holds the vendor's credentials and which model each backend is set to, so an
// operator sees what a key would unlock and what to move to. GET /v1/models is the server's view
// (only what it can render now).
import type { Command } from 'commander';
import { writeErr, writeOut } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ModelsFlags {
  config?: string[];
  json?: boolean;
}

async function models(flags: ModelsFlags): Promise<number> {
  const [{ loadConfig }, { modelList }, { durationText }] = await Promise.all([
    import('../config/load-config.js'),
    import('../catalog/model-listing.js'),
    import('../catalog/model-rules.js'),
  ]);
  const { config, warnings } = loadConfig({ files: flags.config, env: process.env });
  for (const warning of warnings) writeErr(`warning: ${warning}\n`);
  const list = modelList(config, 'all');
  if (flags.json) {
    writeOut(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const header = [
    'BACKEND',
    'MODEL',
    'STATUS',
    'CREDENTIALS',
    'SELECTED BY',
    'DURATIONS (S)',
    'USD/S',
    'REPLACEMENT / NOTE',
  ];
  const rows = list.data.map((m) => [
    m.backend,
    m.id,
    m.lifecycle.status + (m.lifecycle.shutdown ? ` ${m.lifecycle.shutdown}` : ''),
    m.credentials ? 'yes' : 'no',
    m.configured ? (m.config_key ?? 'default_backend') : '',
    'seconds' in m.durations
      ? m.durations.seconds.join(', ')
      : m.backend === 'procedural'
        ? `${m.durations.min}–${m.durations.max}`
        : durationText(m.durations).replace(' (whole seconds)', ''),
    m.usd_per_second.toFixed(3),
    [
      m.lifecycle.replacement ? `→ ${m.lifecycle.replacement}` : '',
      m.lifecycle.note ?? '',
      m.origin === 'config' ? 'row from the config' : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const line of [header, ...rows])
    writeOut(
      `${line
        .map((c, i) => (i === line.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

export function registerModelsCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('models')
    .description(
      "list the model catalog (shipped rows and the config's models:), with lifecycle and whether credentials are configured",
    )
    .option('-c, --config <file>', 'config file (YAML); repeat to layer files', collect)
    .option('--json', "print OpenAI's list shape with ttv's capability fields (as GET /v1/models, but every row)")
    .action(async (flags: ModelsFlags) => setExitCode(await models(flags)));
}
