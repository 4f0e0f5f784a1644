// `ttv prune [--dry-run]`: one retention sweep (retention.* in the config) against the configured job
// store and artifact store, the same one the API process runs every retention.sweep_interval_minutes.
import type { Command } from 'commander';
import { writeErr, writeOut } from './output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface PruneFlags {
  config?: string[];
  dataDir?: string;
  dryRun?: boolean;
}

async function prune(flags: PruneFlags): Promise<number> {
  // Loaded only when the command runs, so that other commands do not pay for the stores' drivers.
  const [{ loadConfig }, { openJobQueue }, { openArtifactStore }, { RetentionSweep }] = await Promise.all([
    import('../config/load-config.js'),
    import('../jobs/open-job-queue.js'),
    import('../storage/open-artifact-store.js'),
    import('../retention/retention-sweep.js'),
  ]);
  const { config, warnings } = loadConfig({ files: flags.config, env: process.env, cli: { dataDir: flags.dataDir } });
  for (const warning of warnings) writeErr(`warning: ${warning}\n`);
  const queue = openJobQueue(config);
  try {
    const store = await openArtifactStore(config);
    const report = await new RetentionSweep({ queue, store, retention: config.retention }).run({
      dryRun: flags.dryRun === true,
    });
    const verb = report.dryRun ? 'would remove' : 'removed';
    for (const job of report.jobs) {
      writeOut(
        `job\t${job.id}\t${job.status}\tended ${job.finished_at}${job.artifact_key ? `\tartifact ${job.artifact_key}` : ''}\n`,
      );
    }
    for (const file of report.files) writeOut(`file\t${file.key}\twritten ${file.modified_at}\n`);
    for (const error of report.errors) writeErr(`ttv: could not remove ${error}\n`);
    const jobsWindow = report.jobsBefore ? `ended before ${report.jobsBefore}` : 'retention.jobs_days is 0';
    const filesWindow = report.filesBefore
      ? `written before ${report.filesBefore}`
      : store.files
        ? 'retention.artifacts_days is 0'
        : `a ${store.kind} bucket ages its objects by its lifecycle rule`;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    writeErr(
      `ttv: ${verb} ${plural(report.jobs.length, 'job')} (${jobsWindow}) and ${plural(report.files.length, 'artifact file')} (${filesWindow})\n`,
    );
    return report.errors.length ? 1 : 0;
  } finally {
    await queue.close();
  }
}

export function registerPruneCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('prune')
    .description('delete jobs and local artifact files older than retention.jobs_days / retention.artifacts_days')
    .option('-c, --config <file>', 'config file (YAML); repeat to layer files', collect)
    .option('--data-dir <dir>', 'where the job database and artifacts live (default ./.ttv)')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .action(async (flags: PruneFlags) => {
      setExitCode(await prune(flags));
    });
}
