// `ttv generate "prompt"`: runs the same pipeline as the worker, once, locally, with a progress bar.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { applyJobOverrides } from '../job-options/config-overrides.js';
import { createPipeline } from '../pipeline/create-pipeline.js';
import { CanceledError } from '../errors/canceled-error.js';
import { PipelineError } from '../errors/pipeline-error.js';
import { progressBar } from './progress-bar.js';
import { countNoun } from '../text/count-noun.js';
import { collectSecrets } from '../logging/redact.js';
import { hideInOutput, writeErr } from './output.js';

export async function generate(config: AppConfig, prompt: string, out: string): Promise<number> {
  const effective = applyJobOverrides(config, { prompt });
  // Under the data dir's tmp/ when a data dir exists (the same disk a worker would use), else in the
  // system temp: a one-off run leaves nothing behind in the working directory.
  const dataDir = resolve(config.data_dir);
  const tmpRoot = join(dataDir, 'tmp');
  const madeTmpRoot = existsSync(dataDir) && !existsSync(tmpRoot);
  let workDir: string;
  if (existsSync(dataDir)) {
    workDir = join(tmpRoot, `generate_${randomUUID().slice(0, 8)}`);
    await mkdir(workDir, { recursive: true, mode: 0o700 });
  } else {
    workDir = await mkdtemp(join(tmpdir(), 'ttv-generate-'));
  }
  const controller = new AbortController();
  hideInOutput(collectSecrets(effective));
  const onSignal = () => controller.abort('canceled');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar(process.stderr);
  try {
    const result = await createPipeline().run({
      prompt,
      config: effective,
      workDir,
      signal: controller.signal,
      reporter: {
        progress: async (progress, stage) => bar.update(progress, stage),
        log: async () => undefined,
      },
    });
    bar.update(100, 'done');
    bar.done();
    await copyFile(result.finalVideoPath, out);
    writeErr(`saved ${out} (${countNoun(result.segmentCount, 'segment')}, ${result.plannedDurationSeconds} s)\n`);
    return 0;
  } catch (err) {
    bar.done();
    if (err instanceof CanceledError) {
      writeErr('ttv: canceled\n');
      return 130;
    }
    if (err instanceof PipelineError) {
      writeErr(`ttv: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(workDir, { recursive: true, force: true });
    if (madeTmpRoot) await rmdir(tmpRoot).catch(() => undefined); // only when empty
  }
}
