// Benchmark: where the time of a 3-segment offline job goes (video generator vs everything else:
// planning, frames, stitching, bookkeeping), for both modes; and stitching of matched segments vs a
// bare `ffmpeg -f concat -c copy` of the same files. Run with `npm run bench:pipeline`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { configSchema } from '../dist/config/schema.js';
import { VideoPipeline } from '../dist/pipeline/video-pipeline.js';
import { Ffmpeg } from '../dist/media/ffmpeg.js';
import { createVideoBackendChain } from '../dist/generators/registry.js';
import { createImageGenerator } from '../dist/images/providers.js';
import { createPlanner } from '../dist/planning/create-planner.js';

const PROMPT = 'A fox crosses a snowy field. It stops at a frozen river. The sun sets behind the hills.';
const root = mkdtempSync(join(tmpdir(), 'ttv-bench-pipeline-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function split(mode) {
  const config = configSchema.parse({ data_dir: root, generation_mode: mode });
  let generatorMs = 0;
  const pipeline = new VideoPipeline((cfg, log) => {
    const generator = createVideoBackendChain(cfg);
    const timed = Object.create(generator);
    timed.generate = async (request, hooks) => {
      const t0 = performance.now();
      try {
        return await generator.generate(request, hooks);
      } finally {
        generatorMs += performance.now() - t0;
      }
    };
    const ffmpeg = Ffmpeg.fromConfig(cfg);
    return {
      planner: createPlanner(cfg, log),
      images: createImageGenerator(cfg, ffmpeg, log),
      generator: timed,
      ffmpeg,
    };
  });
  const runs = [];
  for (let i = 0; i < 3; i += 1) {
    generatorMs = 0;
    const workDir = join(root, `${mode}-${i}`);
    const t0 = performance.now();
    let stitchStart = null;
    let joinedBy = 'unknown';
    const reporter = {
      progress: async (_p, stage) => {
        if (stage === 'stitching' && stitchStart === null) stitchStart = performance.now();
      },
      log: async (line) => {
        if (line === 'Segments joined by stream copy') joinedBy = 'stream copy';
        else if (line.startsWith('Segments differed')) joinedBy = 're-encoded (normalised)';
      },
    };
    await pipeline.run({ prompt: PROMPT, config, workDir, signal: new AbortController().signal, reporter });
    const end = performance.now();
    const total = end - t0;
    runs.push({
      total,
      generator: generatorMs,
      other: total - generatorMs,
      workDir,
      join: joinedBy,
      stitch: stitchStart === null ? NaN : end - stitchStart,
    });
  }
  const best = runs.sort((a, b) => a.total - b.total)[1];
  return best;
}

const chaining = await split('chaining');
const keyframe = await split('keyframe');

// Stitching: the three matched clips of the chaining run, ours vs bare ffmpeg, 10 runs each.
const clips = [1, 2, 3].map((k) => join(chaining.workDir, 'videos', `segment_0${k}.mp4`));
const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
const ours = [];
const oursWithProbes = [];
const bare = [];
const probes = await Promise.all(clips.map((c) => ffmpeg.probe(c)));
for (let i = 0; i < 10; i += 1) {
  const dir = join(root, `stitch-${i}`);
  spawnSync('mkdir', ['-p', dir]);
  let t0 = performance.now();
  const { mode } = await ffmpeg.concat(clips, join(dir, 'ours.mp4'), { workDir: dir, probes });
  ours.push(performance.now() - t0);
  if (mode !== 'copy') console.log(`warning: the chaining run's clips did not stream-copy (stitch run ${i + 1})`);
  t0 = performance.now();
  await ffmpeg.concat(clips, join(dir, 'ours-probing.mp4'), { workDir: dir });
  oursWithProbes.push(performance.now() - t0);
  const list = join(dir, 'list.txt');
  writeFileSync(list, clips.map((c) => `file '${c}'`).join('\n'));
  t0 = performance.now();
  spawnSync('ffmpeg', [
    '-y',
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-c',
    'copy',
    join(dir, 'bare.mp4'),
  ]);
  bare.push(performance.now() - t0);
}

const pct = (r) => ((r.other / r.total) * 100).toFixed(1);
console.log(
  `\npipeline benchmark: 3 segments × 5 s, 640x360 @ 24 fps, offline providers, ${cpus().length} cores, node ${process.version}`,
);
console.log('mode       total ms  generator ms  everything else ms  (% of total)');
for (const [name, r] of [
  ['chaining', chaining],
  ['keyframe', keyframe],
]) {
  console.log(
    `${name.padEnd(11)}${r.total.toFixed(0).padEnd(10)}${r.generator.toFixed(0).padEnd(14)}${r.other.toFixed(0).padEnd(20)}${pct(r)} %`,
  );
}
console.log('\nstitch stage inside the job (from the "stitching" stage to the finished job):');
for (const [name, r] of [
  ['chaining', chaining],
  ['keyframe', keyframe],
]) {
  console.log(`${name.padEnd(11)}join: ${r.join}, stitch ${r.stitch.toFixed(0)} ms of ${r.total.toFixed(0)} ms`);
}
console.log(
  `\nstitch 3 matched clips (median of 10): ttv stitch stage ${median(ours).toFixed(1)} ms (clips probed during generation), bare ffmpeg concat ${median(bare).toFixed(1)} ms, ratio ${(median(ours) / median(bare)).toFixed(2)}×`,
);
console.log(
  `  the same with the three ffprobe runs inside: ${median(oursWithProbes).toFixed(1)} ms (${(median(oursWithProbes) / median(bare)).toFixed(2)}×)`,
);
rmSync(root, { recursive: true, force: true });
