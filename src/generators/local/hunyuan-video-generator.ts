// HunyuanVideo (local): image-to-video through the repository's inference.py, one process on one
// GPU from the run's shared allocator. The command line is the Python pipeline's (unverified against
// the public HunyuanVideo repository, which ships sample_video.py instead).
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
import { type GpuAllocator, gpuAllocatorFor } from './gpu-allocator.js';
import { absolutePath, pathProblem } from './path-checks.js';
import { runLocalModel } from './run-local-model.js';

const ID = 'hunyuan';
/** The Python pipeline always asked for 16 fps. */
const FPS = 16;
/** inference.py is a single process (no launcher), so it gets one device. */
const GPUS = 1;

export class HunyuanVideoGenerator implements VideoGenerator {
  readonly id = ID;

  constructor(
    private readonly config: AppConfig,
    private readonly allocator: GpuAllocator,
  ) {}

  capabilities(): GeneratorCapabilities {
    return {
      minDurationSeconds: 1,
      maxDurationSeconds: this.config.hunyuan_video.max_duration,
      textToVideo: false,
      imageToVideo: true,
      firstLastFrame: false,
      maxPromptLength: 1000,
    };
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return this.problems(request, false);
  }

  /** Before the frames exist (the pipeline's plan check) a missing first frame is not yet a problem. */
  private problems(request: Omit<GenerateRequest, 'outputPath'>, framesDue: boolean): string[] {
    const h = this.config.hunyuan_video;
    const problems = requestProblems(request, this.capabilities(), 'hunyuan_video.max_duration');
    if (!request.firstFrame && (framesDue || request.lastFrame))
      problems.push('a first frame is required (hunyuan is image-to-video only)');
    const repo = pathProblem('hunyuan_video.hunyuan_dir', h.hunyuan_dir, 'dir', 'the HunyuanVideo repository');
    problems.push(
      ...[
        repo ??
          (existsSync(join(absolutePath(h.hunyuan_dir), 'inference.py'))
            ? null
            : 'hunyuan_video.hunyuan_dir has no inference.py'),
        pathProblem('hunyuan_video.config_file', h.config_file, 'file', 'the model config passed as --cfg-path'),
        pathProblem('hunyuan_video.ckpt_path', h.ckpt_path, 'file', 'the checkpoint passed as --ckpt-path'),
      ].filter((p): p is string => p !== null),
    );
    return problems;
  }

  /** Local runs cost nothing per clip. */
  estimateCost(_durationSeconds?: number): number {
    return 0;
  }

  modelArgs(request: GenerateRequest): string[] {
    const h = this.config.hunyuan_video;
    const args = [
      'inference.py',
      '--cfg-path',
      absolutePath(h.config_file ?? ''),
      '--ckpt-path',
      absolutePath(h.ckpt_path ?? ''),
      '--source-image',
      request.firstFrame!,
      '--prompt',
      request.prompt,
      '--save-path',
      request.outputPath,
      '--steps',
      String(h.sample_steps),
      '--fps',
      String(FPS),
    ];
    if (h.seed !== undefined && h.seed !== null) args.push('--seed', String(h.seed));
    return args;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const problems = this.problems(request, true);
    if (problems.length) throw new GenerationError(ID, 'invalid', `segment ${request.segment}: ${problems.join('; ')}`);
    if (request.lastFrame)
      hooks.log?.(
        `${ID}: segment ${request.segment}: the backend takes no last frame; starting from the first frame only`,
      );
    const lease = await this.allocator.acquire(GPUS, hooks.signal);
    try {
      hooks.log?.(`${ID}: segment ${request.segment} on GPU ${lease.ids.join(',')}`);
      await runLocalModel(
        {
          backend: ID,
          command: this.config.local_backends.python_path,
          args: this.modelArgs(request),
          cwd: absolutePath(this.config.hunyuan_video.hunyuan_dir),
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
      if (err instanceof GenerationError) hooks.log?.(err.message);
      throw err;
    } finally {
      lease.release();
    }
  }
}

export function createHunyuanGenerator(config: AppConfig): VideoGenerator {
  return new HunyuanVideoGenerator(config, gpuAllocatorFor(config));
}
