// Wan2.1 (local): image-to-video (i2v-14B, chaining) and first+last-frame (flf2v-14B, keyframe
// mode) through the model repository's generate.py, on GPUs from the run's shared allocator; more
// than one GPU per segment goes through torchrun. Command lines follow the Python pipeline.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectSecrets } from '../../logging/redact.js';
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { requestProblems } from '../request-problems.js';
import type {
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VideoGenerator,
} from '../types.js';
import { type GpuAllocator, gpuAllocatorFor, gpusPerSegment } from './gpu-allocator.js';
import { absolutePath, pathProblem } from './path-checks.js';
import { runLocalModel } from './run-local-model.js';

const ID = 'wan2.1';
/** torchrun's rendezvous port is this plus the segment number, so parallel segments do not collide. */
const RDZV_BASE_PORT = 29500;
/** A failed run is retried once with these lighter settings. */
const RETRY_SAMPLE_STEPS = 30;
const RETRY_GUIDE_SCALE = 3.0;

export type WanMode = 'i2v' | 'flf2v';

/** A number as Python's str() writes a float: 5 → "5.0", 0.5 → "0.5". */
export function pythonFloat(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? `${value}.0` : String(value);
}

interface Sampling {
  steps: number;
  guide: number;
}

export class Wan21VideoGenerator implements VideoGenerator {
  readonly id = ID;

  constructor(
    private readonly config: AppConfig,
    private readonly allocator: GpuAllocator,
  ) {}

  capabilities(): GeneratorCapabilities {
    return {
      minDurationSeconds: 1,
      maxDurationSeconds: 10,
      textToVideo: false,
      imageToVideo: true,
      firstLastFrame: true,
      maxPromptLength: 1000,
    };
  }

  /** FLF2V with both frames, I2V with the first only; before the frames exist, the run's generation_mode decides. */
  mode(request: Pick<GenerateRequest, 'firstFrame' | 'lastFrame'>): WanMode {
    if (request.firstFrame || request.lastFrame) return request.firstFrame && request.lastFrame ? 'flf2v' : 'i2v';
    return this.config.generation_mode === 'keyframe' ? 'flf2v' : 'i2v';
  }

  /**
   * The pipeline validates every segment before its frames exist, so a missing first frame is only
   * a problem once a frame is given at all (or at generate time, see generate()).
   */
  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return this.problems(request, false);
  }

  private problems(request: Omit<GenerateRequest, 'outputPath'>, framesDue: boolean): string[] {
    const problems = requestProblems(request, this.capabilities());
    if (!request.firstFrame && (framesDue || request.lastFrame))
      problems.push('a first frame is required (wan2.1 is image-to-video only)');
    problems.push(...this.configProblems(this.mode(request)));
    return problems;
  }

  private configProblems(mode: WanMode): string[] {
    const c = this.config.wan2_1;
    const found: (string | null)[] = [];
    const repo = pathProblem('wan2_1.wan2_dir', c.wan2_dir, 'dir', 'the Wan2.1 repository');
    found.push(
      repo ??
        (existsSync(join(absolutePath(c.wan2_dir), 'generate.py'))
          ? null
          : 'wan2_1.wan2_dir has no generate.py (is it the Wan2.1 repository?)'),
    );
    if (mode === 'flf2v')
      found.push(
        pathProblem(
          'wan2_1.flf2v_model_dir',
          c.flf2v_model_dir,
          'dir',
          'needed for first+last-frame generation in keyframe mode',
        ),
      );
    else
      found.push(
        pathProblem(
          'wan2_1.i2v_model_dir',
          c.i2v_model_dir,
          'dir',
          'needed for image-to-video generation in chaining mode',
        ),
      );
    return found.filter((p): p is string => p !== null);
  }

  /** Local runs cost nothing per clip. */
  estimateCost(_durationSeconds?: number): number {
    return 0;
  }

  /** generate.py arguments for one attempt, in the Python pipeline's order. */
  modelArgs(request: GenerateRequest, mode: WanMode, sampling: Sampling): string[] {
    const c = this.config.wan2_1;
    const size = c.size.replace('x', '*');
    const tail = [
      '--sample_guide_scale',
      pythonFloat(sampling.guide),
      '--sample_steps',
      String(sampling.steps),
      '--sample_shift',
      pythonFloat(c.sample_shift),
    ];
    if (mode === 'flf2v') {
      return [
        '--task',
        'flf2v-14B',
        '--size',
        size,
        '--ckpt_dir',
        absolutePath(c.flf2v_model_dir ?? ''),
        '--first_frame',
        request.firstFrame!,
        '--last_frame',
        request.lastFrame!,
        '--frame_num',
        String(c.frame_num),
        '--prompt',
        request.prompt,
        '--save_file',
        request.outputPath,
        ...tail,
      ];
    }
    return [
      '--task',
      'i2v-14B',
      '--size',
      size,
      '--ckpt_dir',
      absolutePath(c.i2v_model_dir ?? ''),
      '--image',
      request.firstFrame!,
      '--prompt',
      request.prompt,
      '--save_file',
      request.outputPath,
      ...tail,
      '--frame_num',
      String(c.frame_num),
    ];
  }

  /** The full command: python for one GPU, torchrun with FSDP (and Ulysses for I2V) for several. */
  command(
    request: GenerateRequest,
    mode: WanMode,
    gpus: number,
    sampling: Sampling,
  ): { command: string; args: string[] } {
    const local = this.config.local_backends;
    const fsdp = this.config.wan2_1.chaining_use_fsdp_flags;
    const args = ['generate.py', ...this.modelArgs(request, mode, sampling)];
    if (gpus <= 1) return { command: local.python_path, args };
    const launcher = [`--nproc_per_node=${gpus}`, `--rdzv_endpoint=localhost:${RDZV_BASE_PORT + request.segment}`];
    // As upstream: FLF2V always shards; I2V shards (with sequence parallelism) only when chaining_use_fsdp_flags is on.
    const sharding =
      mode === 'flf2v'
        ? ['--dit_fsdp', '--t5_fsdp']
        : fsdp
          ? ['--ulysses_size', String(gpus), '--dit_fsdp', '--t5_fsdp']
          : [];
    return { command: local.torchrun_path, args: [...launcher, ...args, ...sharding] };
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const mode = this.mode(request);
    const problems = this.problems(request, true);
    if (problems.length) throw new GenerationError(ID, 'invalid', `segment ${request.segment}: ${problems.join('; ')}`);
    const gpus = gpusPerSegment({ ...this.config, gpu_count: this.config.wan2_1.gpu_count });
    const lease = await this.allocator.acquire(gpus, hooks.signal);
    try {
      const attempts = this.config.wan2_1.chaining_max_retries;
      let sampling: Sampling = { steps: this.config.wan2_1.sample_steps, guide: this.config.wan2_1.guide_scale };
      for (let attempt = 1; ; attempt += 1) {
        const { command, args } = this.command(request, mode, gpus, sampling);
        hooks.log?.(
          `${ID}: segment ${request.segment} ${mode} on GPU ${lease.ids.join(',')} (attempt ${attempt}/${attempts}, sample_steps ${sampling.steps}, guide_scale ${pythonFloat(sampling.guide)})`,
        );
        try {
          await runLocalModel(
            {
              backend: ID,
              command,
              args,
              cwd: absolutePath(this.config.wan2_1.wan2_dir),
              gpus: lease.ids,
              outputPath: request.outputPath,
              settings: this.config.local_backends,
              hiddenValues: collectSecrets(this.config),
            },
            hooks,
          );
          hooks.onProgress?.(1);
          return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
        } catch (err) {
          // Only a failed or empty run is worth another try; a cancel, timeout or config problem is not.
          const retryable =
            err instanceof GenerationError && (err.failure === 'process' || err.failure === 'no-output');
          if (!retryable || attempt >= attempts) {
            if (err instanceof GenerationError) {
              const reason = err.message.replace(`${ID}: `, '');
              const final = retryable
                ? new GenerationError(
                    ID,
                    err.failure,
                    `segment ${request.segment} failed after ${attempt} attempt(s): ${reason}`,
                    false,
                    { cause: err },
                  )
                : err;
              // The job log is where an operator looks first; the job's error field may be generic.
              hooks.log?.(final.message);
              throw final;
            }
            throw err;
          }
          // As upstream: a crashed run is retried lighter; an empty clip with the same settings.
          if (err.failure === 'process') sampling = { steps: RETRY_SAMPLE_STEPS, guide: RETRY_GUIDE_SCALE };
          hooks.log?.(`${err.message}; retrying segment ${request.segment} (attempt ${attempt + 1}/${attempts})`);
        }
      }
    } finally {
      lease.release();
    }
  }
}

export function createWan21Generator(config: AppConfig): VideoGenerator {
  return new Wan21VideoGenerator(config, gpuAllocatorFor(config));
}
