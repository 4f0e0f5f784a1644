// Checks a job's options against the backend that will render it, before the job is accepted: every
// problem names the option and the values that backend allows, so a client can correct the request.
// (The fallback chain still re-checks each segment per backend at run time.)
import type { AppConfig } from '../config/schema.js';
import type { JobRequest } from '../jobs/job.js';
import { segmentPlanOf } from '../jobs/stored-job-options.js';
import { applyJobOverrides } from './config-overrides.js';
import { knownBackends, normalizeBackendId } from '../generators/registry.js';
import { acceptsDuration, describeBackend, describeBackends, durationChoices } from '../generators/backend-summary.js';
import { modelSetting } from '../generators/model-setting.js';
import { modeProblem } from '../pipeline/modes/mode-problems.js';
import { imageModeProblem } from '../pipeline/config-problems.js';
import { fixedPlanSegments } from '../planning/create-planner.js';

export interface OptionProblem {
  field: string;
  message: string;
}

export function jobOptionProblems(config: AppConfig, request: JobRequest): OptionProblem[] {
  const o = request.options;
  if (!o) return [];
  const problems: OptionProblem[] = [];
  const add = (name: string, message: string) => problems.push({ field: `options.${name}`, message });
  const id = normalizeBackendId(o.backend ?? config.default_backend);
  if (o.backend !== undefined && !knownBackends().includes(id)) {
    add('backend', `unknown backend "${o.backend}" (allowed: ${availableIds(config).join(', ')})`);
    return problems;
  }
  const effective = applyJobOverrides(config, request);
  const backend = describeBackend(id, effective);
  if (!backend.available) {
    add('backend', `backend ${id} is not available on this server (allowed: ${availableIds(config).join(', ')})`);
    return problems;
  }
  const plan = segmentPlanOf(o, config.segment_duration_seconds);
  if (o.duration_seconds !== undefined || o.segment_duration_seconds !== undefined) {
    const name = o.segment_duration_seconds !== undefined ? 'segment_duration_seconds' : 'duration_seconds';
    if (!acceptsDuration(backend, plan.segmentSeconds)) {
      add(
        name,
        `${id} renders ${durationChoices(backend)} s clips, not ${plan.segmentSeconds} s (allowed: ${durationChoices(backend)})`,
      );
    }
    if (o.duration_seconds !== undefined && o.segment_duration_seconds !== undefined) {
      const count = o.duration_seconds / o.segment_duration_seconds;
      if (Math.abs(count - Math.round(count)) > 1e-9)
        add('duration_seconds', `must be a whole multiple of segment_duration_seconds (${o.segment_duration_seconds})`);
      else if (Math.round(count) > config.procedural.max_segments)
        add(
          'duration_seconds',
          `needs ${Math.round(count)} segments; at most ${config.procedural.max_segments} (procedural.max_segments) are made`,
        );
    }
  }
  if (o.aspect_ratio !== undefined && backend.aspect_ratios && !backend.aspect_ratios.includes(o.aspect_ratio)) {
    add(
      'aspect_ratio',
      `${id} renders aspect ratios ${backend.aspect_ratios.join(', ')}, not ${o.aspect_ratio} (allowed: ${backend.aspect_ratios.join(', ')})`,
    );
  }
  if (o.resolution !== undefined) {
    const [w, h] = o.resolution.split('x').map(Number) as [number, number];
    if (!backend.resolution)
      add(
        'resolution',
        `${id} does not take a resolution; choose aspect_ratio instead (allowed on: ${describeBackends(config)
          .filter((b) => b.resolution)
          .map((b) => b.id)
          .join(', ')})`,
      );
    else if (w % 2 || h % 2 || w < 16 || h < 16 || w > 3840 || h > 2160)
      add('resolution', 'must be even, 16x16 up to 3840x2160');
    else if (o.aspect_ratio !== undefined) {
      const [aw, ah] = o.aspect_ratio.split(':').map(Number) as [number, number];
      if (Math.abs(w / h - aw / ah) > 0.02) add('resolution', `${o.resolution} is not ${o.aspect_ratio}`);
    }
  }
  if (o.seed !== undefined && !backend.seed) {
    add(
      'seed',
      `${id} does not take a seed (allowed on: ${describeBackends(config)
        .filter((b) => b.seed)
        .map((b) => b.id)
        .join(', ')})`,
    );
  }
  if (o.negative_prompt !== undefined && !backend.negative_prompt) {
    const takers = describeBackends(config)
      .filter((b) => b.negative_prompt)
      .map((b) => b.id);
    add(
      'negative_prompt',
      `${id} does not take a negative prompt (allowed on: ${takers.length ? takers.join(', ') : 'no backend ttv drives'})`,
    );
  }
  if (o.image !== undefined && !backend.image_to_video)
    add('image', `${id} cannot start from an image (text-to-video only)`);
  // The job's backend and mode (its own or the server's), for its segment count: a text-only model
  // in chaining mode would be paid for segment 1 and then fail (modes/mode-problems.ts).
  const mode = effective.generation_mode;
  const abilities = {
    textToVideo: backend.text_to_video,
    imageToVideo: backend.image_to_video,
    firstLastFrame: backend.first_last_frame,
  };
  const modeIssue = modeProblem(
    mode,
    id,
    abilities,
    plan.segmentCount ?? fixedPlanSegments(effective),
    modelSetting(effective, id),
  );
  if (modeIssue)
    add(o.generation_mode !== undefined || o.backend === undefined ? 'generation_mode' : 'backend', modeIssue);
  const imageIssue = o.generation_mode !== undefined ? imageModeProblem(effective, mode) : null;
  if (imageIssue) add('generation_mode', `image_generation_model ${imageIssue}`);
  return problems;
}

function availableIds(config: AppConfig): string[] {
  return describeBackends(config)
    .filter((b) => b.available)
    .map((b) => b.id);
}
