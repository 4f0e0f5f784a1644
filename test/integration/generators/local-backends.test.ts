// Local backends (Wan2.1, HunyuanVideo) through whole jobs on the API, against fake model scripts
// (test/fakes/wan2.1, test/fakes/hunyuan) that take the real flags, log their argv and devices, and
// write real MP4s; plus cancel and timeout of a hanging, SIGTERM-ignoring process tree.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { jobLog, probeArtifact, submit, waitForEnd } from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';
import { isGone } from '../../support/process-gone.js';
const FAKES = resolve(import.meta.dirname, '../../fakes');
const TORCHRUN = join(FAKES, 'wan2.1', 'torchrun');
const GRACE_SECONDS = 0.5;

interface Call {
  prog: 'generate.py' | 'torchrun' | 'inference.py';
  argv: string[];
  cuda: string | null;
  nproc_per_node?: number;
  rdzv_endpoint?: string;
}

let root: string;
let dirs: {
  wan: string;
  i2v: string;
  flf2v: string;
  hunyuan: string;
  cfg: string;
  ckpt: string;
  log: string;
  pidfile: string;
};
const services: TestService[] = [];
const savedEnv = new Map<string, string | undefined>();

/** Sets FAKE_* switches for the model processes the in-process service spawns; restored after each test. */
function setEnv(vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (!savedEnv.has(k)) savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  }
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ttv-local-'));
  dirs = {
    wan: join(root, 'Wan2.1'),
    i2v: join(root, 'models', 'i2v'),
    flf2v: join(root, 'models', 'flf2v'),
    hunyuan: join(root, 'HunyuanVideo'),
    cfg: join(root, 'hunyuan.yaml'),
    ckpt: join(root, 'hunyuan.pt'),
    log: join(root, 'calls.jsonl'),
    pidfile: join(root, 'model.pid'),
  };
  for (const d of [dirs.wan, dirs.i2v, dirs.flf2v, dirs.hunyuan]) await mkdir(d, { recursive: true });
  // Symlinks: the fakes find their shared helper next to their real path.
  await symlink(join(FAKES, 'wan2.1', 'generate.py'), join(dirs.wan, 'generate.py'));
  await symlink(join(FAKES, 'hunyuan', 'inference.py'), join(dirs.hunyuan, 'inference.py'));
  await writeFile(dirs.cfg, 'fake: true\n');
  await writeFile(dirs.ckpt, 'fake checkpoint\n');
  setEnv({ FAKE_MODEL_LOG: dirs.log });
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  for (const [k, v] of savedEnv) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  savedEnv.clear();
  await rm(root, { recursive: true, force: true });
});

function wanConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    default_backend: 'wan2.1',
    wan2_dir: dirs.wan,
    i2v_model_dir: dirs.i2v,
    flf2v_model_dir: dirs.flf2v,
    frame_num: 17,
    total_gpus: 4,
    parallel_segments: 2,
    local_backends: { python_path: 'python3', torchrun_path: TORCHRUN, kill_grace_seconds: GRACE_SECONDS },
    ...extra,
  };
}

async function startJob(config: Record<string, unknown>, prompt: string) {
  const svc = await startTestService(config);
  services.push(svc);
  return { svc, id: await submit(svc, prompt) };
}

async function runJob(config: Record<string, unknown>, prompt: string) {
  const { svc, id } = await startJob(config, prompt);
  const job = await waitForEnd(svc, id, 60_000);
  return { svc, id, job, lines: await jobLog(svc, id) };
}

function calls(prog?: Call['prog']): Call[] {
  if (!existsSync(dirs.log)) return [];
  const all = readFileSync(dirs.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
  return prog ? all.filter((c) => c.prog === prog) : all;
}

function flag(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

/** The flag names of an argv, in order (values left out). */
function flagNames(argv: string[]): string[] {
  return argv.filter((a) => a.startsWith('--'));
}

async function readPids(): Promise<[number, number]> {
  const text = await waitFor(async () => existsSync(dirs.pidfile) && readFileSync(dirs.pidfile, 'utf8'), {
    timeoutMs: 30_000,
    what: 'the model pidfile',
  });
  const [model, grandchild] = text.trim().split(/\s+/).map(Number);
  return [model!, grandchild!];
}

describe('wan2.1 through the API', () => {
  it('keyframe mode: FLF2V per segment through torchrun, two segments in parallel on distinct GPUs', async () => {
    // Each fake waits until both runs are in flight, so the segments provably overlapped.
    setEnv({ FAKE_MODEL_BARRIER: '2' });
    const { svc, id, job, lines } = await runJob(wanConfig({ generation_mode: 'keyframe' }), 'A lighthouse. The sea.');
    expect(job.status, String(job.error)).toBe('finished');

    const launches = calls('torchrun');
    expect(launches).toHaveLength(2);
    expect(launches.map((c) => c.nproc_per_node)).toEqual([2, 2]);
    expect(launches.map((c) => c.rdzv_endpoint).sort()).toEqual(['localhost:29501', 'localhost:29502']);
    const devices = launches.map((c) => c.cuda).sort();
    expect(devices).toEqual(['0,1', '2,3']);

    const runs = calls('generate.py');
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(flagNames(r.argv)).toEqual([
        '--task',
        '--size',
        '--ckpt_dir',
        '--first_frame',
        '--last_frame',
        '--frame_num',
        '--prompt',
        '--save_file',
        '--sample_guide_scale',
        '--sample_steps',
        '--sample_shift',
        '--dit_fsdp',
        '--t5_fsdp',
      ]);
      expect(flag(r.argv, '--task')).toBe('flf2v-14B');
      expect(flag(r.argv, '--size')).toBe('1280*720');
      expect(flag(r.argv, '--ckpt_dir')).toBe(dirs.flf2v);
      expect(flag(r.argv, '--frame_num')).toBe('17');
      expect(flag(r.argv, '--sample_guide_scale')).toBe('5.0');
      expect(flag(r.argv, '--sample_steps')).toBe('40');
      expect(flag(r.argv, '--sample_shift')).toBe('5.0');
    }
    // Segment k runs from keyframe k-1 to keyframe k; the port tells which segment a launch was.
    const bySegment = new Map(launches.map((c) => [Number(c.rdzv_endpoint!.split(':')[1]) - 29500, c.argv]));
    expect(flag(bySegment.get(1)!, '--first_frame')).toMatch(/\/frames\/segment_00\.png$/);
    expect(flag(bySegment.get(1)!, '--last_frame')).toMatch(/\/frames\/segment_01\.png$/);
    expect(flag(bySegment.get(2)!, '--first_frame')).toMatch(/\/frames\/segment_01\.png$/);
    expect(flag(bySegment.get(2)!, '--last_frame')).toMatch(/\/frames\/segment_02\.png$/);
    expect(flag(bySegment.get(2)!, '--save_file')).toMatch(/\/videos\/segment_02\.mp4$/);
    expect(lines.some((l) => /\] wan2\.1: segment 1 flf2v on GPU [0-3],[0-3] \(attempt 1\/3/.test(l))).toBe(true);

    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    // Two clips of 17 frames at 16 fps.
    expect(Math.abs(probe.durationSeconds - 2 * (17 / 16))).toBeLessThanOrEqual(0.2);
  });

  it('chaining mode: I2V with Ulysses and FSDP flags, each segment starting on the last frame of the one before', async () => {
    const { svc, id, job } = await runJob(wanConfig({ generation_mode: 'chaining' }), 'A lighthouse. The sea.');
    expect(job.status, String(job.error)).toBe('finished');
    const launches = calls('torchrun');
    expect(launches.map((c) => c.rdzv_endpoint)).toEqual(['localhost:29501', 'localhost:29502']);
    expect(launches.every((c) => c.nproc_per_node === 2 && c.cuda?.split(',').length === 2)).toBe(true);
    const runs = calls('generate.py');
    expect(runs).toHaveLength(2);
    for (const r of runs) {
      expect(flagNames(r.argv)).toEqual([
        '--task',
        '--size',
        '--ckpt_dir',
        '--image',
        '--prompt',
        '--save_file',
        '--sample_guide_scale',
        '--sample_steps',
        '--sample_shift',
        '--frame_num',
        '--ulysses_size',
        '--dit_fsdp',
        '--t5_fsdp',
      ]);
      expect(flag(r.argv, '--task')).toBe('i2v-14B');
      expect(flag(r.argv, '--ckpt_dir')).toBe(dirs.i2v);
      expect(flag(r.argv, '--ulysses_size')).toBe('2');
    }
    expect(flag(runs[0]!.argv, '--image')).toMatch(/\/frames\/segment_00\.png$/);
    expect(flag(runs[1]!.argv, '--image')).toMatch(/\/frames\/segment_01_last\.png$/);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(Math.abs(probe.durationSeconds - 2 * (17 / 16))).toBeLessThanOrEqual(0.2);
  });

  it('retries a failed run with sample_steps 30 and guide_scale 3.0, and the job finishes', async () => {
    setEnv({ FAKE_MODEL_FAIL_TIMES: '1' });
    const { job, lines } = await runJob(
      wanConfig({ generation_mode: 'chaining', total_gpus: 1, parallel_segments: 1 }),
      'A lighthouse.',
    );
    expect(job.status, String(job.error)).toBe('finished');
    // One GPU: python directly, no launcher.
    expect(calls('torchrun')).toHaveLength(0);
    const runs = calls('generate.py');
    expect(runs).toHaveLength(2);
    expect(runs.map((r) => [flag(r.argv, '--sample_steps'), flag(r.argv, '--sample_guide_scale')])).toEqual([
      ['40', '5.0'],
      ['30', '3.0'],
    ]);
    expect(runs.map((r) => r.cuda)).toEqual(['0', '0']);
    expect(runs[0]!.argv).not.toContain('--dit_fsdp');
    expect(
      lines.some((l) =>
        /\] wan2\.1: python3 exited with code 1: .*CUDA out of memory.*; retrying segment 1 \(attempt 2\/3\)$/.test(l),
      ),
    ).toBe(true);
  });

  it('refuses to start when i2v_model_dir is missing, naming the key, before any process starts', async () => {
    await expect(
      startTestService(wanConfig({ generation_mode: 'chaining', i2v_model_dir: undefined })),
    ).rejects.toThrow(/^default_backend: wan2\.1 cannot run: .*i2v_model_dir is not set/);
    expect(calls()).toHaveLength(0);
  });

  it('cancel stops the whole process group: SIGTERM is ignored, SIGKILL follows after kill_grace_seconds', async () => {
    setEnv({ FAKE_MODEL_HANG: '1', FAKE_MODEL_IGNORE_TERM: '1', FAKE_MODEL_PIDFILE: dirs.pidfile });
    const { svc, id } = await startJob(
      wanConfig({ generation_mode: 'chaining', total_gpus: 1, parallel_segments: 1 }),
      'A lighthouse.',
    );
    const [model, grandchild] = await readPids();
    expect(isGone(model) || isGone(grandchild)).toBe(false);
    const started = Date.now();
    const res = await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(async () => isGone(model) && isGone(grandchild), {
      timeoutMs: (GRACE_SECONDS + 3) * 1000,
      intervalMs: 10,
      what: 'the model and its child to be gone',
    });
    const elapsed = Date.now() - started;
    // Both ignore SIGTERM, so only the SIGKILL after the grace period can have ended them.
    expect(elapsed).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 50);
    expect(elapsed).toBeLessThan((GRACE_SECONDS + 3) * 1000);
    const job = await waitForEnd(svc, id, 10_000);
    expect(job.status).toBe('canceled');
    expect(calls('generate.py')).toHaveLength(1);
  });

  it('timeout fails the job, stops the process group and is not retried', async () => {
    setEnv({ FAKE_MODEL_HANG: '1', FAKE_MODEL_PIDFILE: dirs.pidfile });
    const { svc, id } = await startJob(
      wanConfig({
        generation_mode: 'chaining',
        total_gpus: 1,
        parallel_segments: 1,
        local_backends: {
          python_path: 'python3',
          torchrun_path: TORCHRUN,
          kill_grace_seconds: GRACE_SECONDS,
          timeout_seconds: 1.5,
        },
      }),
      'A lighthouse.',
    );
    const [model, grandchild] = await readPids();
    const job = await waitForEnd(svc, id, 30_000);
    expect(job.status).toBe('failed');
    expect(isGone(model)).toBe(true);
    expect(isGone(grandchild)).toBe(true);
    const lines = await jobLog(svc, id);
    expect(
      lines.some((l) => /\] wan2\.1: python3 timed out after 1\.5 s \(local_backends\.timeout_seconds\)/.test(l)),
    ).toBe(true);
    expect(job.error).toMatch(/wan2\.1: python3 timed out after 1\.5 s \(local_backends\.timeout_seconds\)/);
    expect(calls('generate.py')).toHaveLength(1);
  });
});

describe('hunyuan through the API', () => {
  it('runs inference.py with the Python flags on one GPU and finishes with a real MP4', async () => {
    const { svc, id, job } = await runJob(
      {
        default_backend: 'HunyuanVideo',
        generation_mode: 'chaining',
        total_gpus: 2,
        hunyuan_video: {
          hunyuan_dir: dirs.hunyuan,
          config_file: dirs.cfg,
          ckpt_path: dirs.ckpt,
          sample_steps: 12,
          seed: 7,
        },
        local_backends: { python_path: 'python3' },
      },
      'A lighthouse.',
    );
    expect(job.status, String(job.error)).toBe('finished');
    const runs = calls('inference.py');
    expect(runs).toHaveLength(1);
    const argv = runs[0]!.argv;
    expect(flagNames(argv)).toEqual([
      '--cfg-path',
      '--ckpt-path',
      '--source-image',
      '--prompt',
      '--save-path',
      '--steps',
      '--fps',
      '--seed',
    ]);
    expect(flag(argv, '--cfg-path')).toBe(dirs.cfg);
    expect(flag(argv, '--ckpt-path')).toBe(dirs.ckpt);
    expect(flag(argv, '--source-image')).toMatch(/\/frames\/segment_00\.png$/);
    expect(flag(argv, '--save-path')).toMatch(/\/videos\/segment_01\.mp4$/);
    expect([flag(argv, '--steps'), flag(argv, '--fps'), flag(argv, '--seed')]).toEqual(['12', '16', '7']);
    expect(runs[0]!.cuda).toBe('0');
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
  });

  it('refuses to start naming hunyuan_video.ckpt_path when it is not set', async () => {
    await expect(
      startTestService({
        default_backend: 'hunyuan',
        generation_mode: 'chaining',
        hunyuan_video: { hunyuan_dir: dirs.hunyuan, config_file: dirs.cfg },
      }),
    ).rejects.toThrow(/hunyuan_video\.ckpt_path is not set/);
    expect(calls()).toHaveLength(0);
  });
});
