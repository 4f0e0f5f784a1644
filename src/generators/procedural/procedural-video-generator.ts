// The offline video backend: renders a real H.264 clip with ffmpeg, for checking plans, timing and the
// whole system without a vendor account. The default `storyboard` style is a card that shows the
// segment's prompt, number and time range (with a silent AAC track, like vendor clips with audio);
// `gradient` is a soft gradient derived from the prompt. Both start from the given first frame
// (image-to-video) and end on the given last frame, so chained segments join without a cut. Clips are
// procedural.width x height, or the job's aspect ratio at that long side when the two disagree.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ProceduralConfig } from '../../config/schema.js';
import type { Ffmpeg } from '../../media/ffmpeg.js';
import { escapeFilterValue } from '../../media/filter-escape.js';
import { CanceledError } from '../../errors/canceled-error.js';
import { requestProblems } from '../request-problems.js';
import type {
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VideoGenerator,
} from '../types.js';
import { visualSeed } from '../../procedural/visual-seed.js';
import { sizeInAspect } from '../../media/frame-geometry.js';
import { promptLook } from './prompt-look.js';
import { cardFilter, cardTexts } from './storyboard-graph.js';

/** Where DejaVu Sans lives on Debian/Ubuntu, Fedora, Arch and Alpine, and with Homebrew. */
export const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/opt/homebrew/share/fonts/DejaVuSans.ttf',
];

/** The first of `candidates` that exists, or null. */
export function findFont(candidates: readonly string[] = FONT_CANDIDATES): string | null {
  return candidates.find((c) => existsSync(c)) ?? null;
}

const MISSING_FONT = `the procedural storyboard style (and text_overlay) needs the DejaVu Sans font (package fonts-dejavu-core); looked in ${FONT_CANDIDATES.join(', ')}`;

/** Longest prompt excerpt drawn on a clip (more would not fit on one line anyway). */
const OVERLAY_CHARS = 120;

/**
 * Text for drawtext's `text=` option inside a filtergraph: whitespace runs flattened to one space,
 * cut to a drawable length (before escaping, so no escape sequence is cut in half), then escaped for
 * both filter parsers. Use with `expansion=none` so that % sequences stay literal.
 */
export function drawtextEscape(text: string): string {
  const flat = [...text.replace(/\s+/g, ' ').trim()].slice(0, OVERLAY_CHARS).join('');
  return escapeFilterValue(flat);
}

function abortableDelay(ms: number, signal: AbortSignal, onTick?: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CanceledError());
    const started = Date.now();
    const tick = setInterval(
      () => onTick?.(Math.min(1, (Date.now() - started) / ms)),
      Math.min(500, Math.max(50, ms / 100)),
    );
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    const onAbort = () => {
      cleanup();
      reject(new CanceledError());
    };
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(tick);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ProceduralVideoGenerator implements VideoGenerator {
  readonly id = 'procedural';

  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly settings: ProceduralConfig,
  ) {}

  capabilities(): GeneratorCapabilities {
    return {
      minDurationSeconds: 0.5,
      maxDurationSeconds: 60,
      textToVideo: true,
      imageToVideo: true,
      firstLastFrame: true,
      maxPromptLength: 2000,
    };
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const problems = requestProblems(request, this.capabilities());
    if (this.needsFont() && !findFont()) problems.push(MISSING_FONT);
    return problems;
  }

  /** Offline rendering costs nothing, whatever the duration. */
  estimateCost(_durationSeconds?: number): number {
    return 0;
  }

  /** procedural.seed varies the motion of a prompt's look; without one a prompt always looks the same. */
  private seedPrefix(): string {
    return this.settings.seed === null || this.settings.seed === undefined ? '' : `seed ${this.settings.seed}:`;
  }

  private needsFont(): boolean {
    return this.settings.style === 'storyboard' || this.settings.text_overlay;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const path =
      this.settings.style === 'storyboard'
        ? await this.storyboard(request, hooks)
        : await this.gradient(request, hooks);
    return { path, costUsd: this.estimateCost(request.durationSeconds) };
  }

  /** procedural.width x height, or the requested aspect ratio at its long side when they disagree. */
  private frameSize(request: GenerateRequest): { width: number; height: number } {
    return sizeInAspect(request.aspectRatio, { width: this.settings.width, height: this.settings.height });
  }

  private async gradient(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { fps } = this.settings;
    const { width, height } = this.frameSize(request);
    const frames = Math.max(1, Math.round(request.durationSeconds * fps));
    const font = this.settings.text_overlay ? findFont() : null;
    if (this.settings.text_overlay && !font) throw new Error(MISSING_FONT);
    await mkdir(dirname(request.outputPath), { recursive: true });
    if (request.lastFrameOutput) await mkdir(dirname(request.lastFrameOutput), { recursive: true });
    if (this.settings.simulated_latency_seconds > 0) {
      await abortableDelay(this.settings.simulated_latency_seconds * 1000, hooks.signal, (f) =>
        hooks.onProgress?.(f * 0.5),
      );
    }
    const look = visualSeed(`${this.seedPrefix()}${request.segment}:${request.prompt}`);
    const inputs = [
      '-f',
      'lavfi',
      '-i',
      `gradients=s=${width}x${height}:r=${fps}:c0=${look.colorA}:c1=${look.colorB}:speed=${look.speed.toFixed(4)}:seed=${look.seed}`,
    ];
    const filters: string[] = [];
    let last = '[0:v]';
    // Endpoints are exact: the first output frame is the first image, the last one the last image,
    // so that chained segments and keyframe segments join without a visible cut.
    const span = Math.max(1 / fps, (frames - 1) / fps).toFixed(4);
    const fit = `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,fps=${fps},format=yuv420p`;
    let next = 1;
    const firstInput = request.firstFrame ? next++ : null;
    const lastInput = request.lastFrame ? next++ : null;
    for (const image of [request.firstFrame, request.lastFrame]) {
      if (image) inputs.push(...stillInput(image, fps));
    }
    filters.push('[0:v]format=yuv420p[grad]');
    if (firstInput !== null && lastInput !== null) {
      // First+last frame: crossfade between the keyframes, the prompt's gradient swelling in between.
      filters.push(`[${firstInput}:v]${hold(frames)},${fit}[first]`, `[${lastInput}:v]${hold(frames)},${fit}[last]`);
      filters.push(`[first][last]blend=all_expr='A*(1-T/${span})+B*(T/${span})'[ab]`);
      filters.push(`[ab][grad]blend=all_expr='A*(1-0.3*sin(PI*min(T/${span},1)))+B*0.3*sin(PI*min(T/${span},1))'[mix]`);
      last = '[mix]';
    } else if (firstInput !== null) {
      // Image-to-video: start on the image, let the prompt's gradient drift in.
      filters.push(`[${firstInput}:v]${hold(frames)},${fit}[first]`);
      filters.push(`[first][grad]blend=all_expr='A*(1-0.35*min(T/${span},1))+B*0.35*min(T/${span},1)'[mix]`);
      last = '[mix]';
    } else if (lastInput !== null) {
      filters.push(`[${lastInput}:v]${hold(frames)},${fit}[last]`);
      filters.push(`[grad][last]blend=all_expr='A*(1-min(T/${span},1))+B*min(T/${span},1)'[mix]`);
      last = '[mix]';
    } else {
      last = '[grad]';
    }
    if (font) {
      filters.push(
        `${last}drawtext=fontfile=${escapeFilterValue(font)}:expansion=none:text=${drawtextEscape(request.prompt)}:fontcolor=white:fontsize=${Math.max(10, Math.round(height / 18))}:box=1:boxcolor=black@0.4:x=(w-tw)/2:y=h-th-${Math.round(height / 12)}[txt]`,
      );
      last = '[txt]';
    }
    const tail = lastFrameBranch(last, frames, request.lastFrameOutput);
    filters.push(...tail.filters);
    last = tail.last;
    const lastFrameArgs = tail.args;
    const args = [...inputs, '-filter_complex', filters.join(';'), '-map', last];
    args.push(
      '-frames:v',
      String(frames),
      '-r',
      String(fps),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      String(fps),
      '-pix_fmt',
      'yuv420p',
      '-profile:v',
      'high',
      '-an',
      '-progress',
      'pipe:2',
      '-nostats',
      request.outputPath,
      ...lastFrameArgs,
    );
    await this.render(args, frames, hooks);
    return request.outputPath;
  }

  /** The storyboard card: fades in from the first frame, fades out into the last frame when given. */
  private async storyboard(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { fps } = this.settings;
    const { width, height } = this.frameSize(request);
    const font = findFont();
    if (!font) throw new Error(MISSING_FONT);
    const frames = Math.max(1, Math.round(request.durationSeconds * fps));
    await mkdir(dirname(request.outputPath), { recursive: true });
    if (request.lastFrameOutput) await mkdir(dirname(request.lastFrameOutput), { recursive: true });
    if (this.settings.simulated_latency_seconds > 0) {
      await abortableDelay(this.settings.simulated_latency_seconds * 1000, hooks.signal, (f) =>
        hooks.onProgress?.(f * 0.5),
      );
    }
    const look = promptLook(request.prompt);
    // Segments of one job share the configured duration, so segment N starts at (N-1) × duration.
    const start = (request.segment - 1) * request.durationSeconds;
    const texts = cardTexts(look, request.prompt, request.segment, start, request.durationSeconds, { width, height });
    const stem = join(dirname(request.outputPath), `.${basename(request.outputPath)}`);
    const captionFile = `${stem}.caption.txt`;
    const particleFile = `${stem}.particles.txt`;
    await Promise.all([writeFile(captionFile, texts.caption), writeFile(particleFile, texts.particles)]);
    const seconds = (frames / fps).toFixed(4);
    const span = Math.max(1 / fps, (frames - 1) / fps);
    const fade = Math.min(0.5, span / 3).toFixed(4);
    const fit = `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},setsar=1,fps=${fps}`;
    const inputs: string[] = [];
    const filters = [
      cardFilter(
        look,
        texts,
        { width, height, fps, font, captionFile, particleFile },
        visualSeed(`${this.seedPrefix()}${request.prompt}`).seed,
      ),
    ];
    let last = '[card]';
    let next = 0;
    if (request.firstFrame) {
      // The frames of the fade: those an input cut at `fade` seconds would hold.
      inputs.push(...stillInput(request.firstFrame, fps));
      filters.push(
        `[${next}:v]${hold(Math.max(1, Math.ceil(Number(fade) * fps - 1e-6)))},${fit},format=yuva420p,fade=t=out:st=0:d=${fade}:alpha=1[from]`,
        `${last}[from]overlay=eof_action=pass:format=yuv420[c${next}]`,
      );
      last = `[c${next++}]`;
    }
    if (request.lastFrame) {
      inputs.push(...stillInput(request.lastFrame, fps));
      filters.push(
        `[${next}:v]${hold(frames)},${fit},format=yuva420p,fade=t=in:st=${(span - Number(fade)).toFixed(4)}:d=${fade}:alpha=1[to]`,
        `${last}[to]overlay=shortest=1:format=yuv420[c${next}]`,
      );
      last = `[c${next++}]`;
    }
    const audio = next++;
    inputs.push('-f', 'lavfi', '-t', seconds, '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
    // The clip ends where its graph ends (trim), not at an output `-frames:v` limit: with the last-frame
    // branch as a second output, ffmpeg (5.x) feeds the graph before reading the audio input, and a
    // stream reaching its -frames:v closes every stream of that output file, so the clip came out
    // with no audio track and the join had to re-encode every segment to match.
    filters.push(`${last}format=yuv420p,trim=end_frame=${frames}[video]`);
    last = '[video]';
    const tail = lastFrameBranch(last, frames, request.lastFrameOutput);
    filters.push(...tail.filters);
    last = tail.last;
    const lastFrameArgs = tail.args;
    const args = [
      ...inputs,
      '-filter_complex',
      filters.join(';'),
      '-map',
      last,
      '-map',
      `${audio}:a`,
      '-r',
      String(fps),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      String(fps),
      '-pix_fmt',
      'yuv420p',
      '-profile:v',
      'high',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-t',
      seconds,
      '-progress',
      'pipe:2',
      '-nostats',
      request.outputPath,
      ...lastFrameArgs,
    ];
    try {
      await this.render(args, frames, hooks);
    } finally {
      await Promise.all([rm(captionFile, { force: true }), rm(particleFile, { force: true })]);
    }
    return request.outputPath;
  }

  private async render(args: string[], frames: number, hooks: GenerateHooks): Promise<void> {
    const base = this.settings.simulated_latency_seconds > 0 ? 0.5 : 0;
    await this.ffmpeg.run(args, {
      signal: hooks.signal,
      // The deadline grows with the seconds of video rendered.
      videoSeconds: frames / this.settings.fps,
      onStderrLine: (line) => {
        const m = /^frame=(\d+)/.exec(line);
        if (m) hooks.onProgress?.(base + (1 - base) * Math.min(1, Number(m[1]) / frames));
      },
    });
    hooks.onProgress?.(1);
  }
}

/**
 * A still image as an input read once: its one frame is repeated by the `loop` filter (hold()), a
 * bounded number of times. Not `-loop 1`: the image demuxer then reads the file again and again
 * until enough frames have decoded, forever when none ever does (a fake PNG kept ffmpeg busy, its
 * memory growing, with no end); read once, a file that does not decode ends the run with an error.
 */
function stillInput(image: string, fps: number): string[] {
  return ['-framerate', String(fps), '-i', image];
}

/** Filter: the input's first frame, `frames` times in all (timestamps at the input's frame rate). */
function hold(frames: number): string {
  return `loop=loop=${Math.max(0, frames - 1)}:size=1:start=0`;
}

/**
 * The last frame as a by-product of the same ffmpeg run: one branch of the graph keeps only it, written
 * to `output`; without an output the graph is left as it is.
 */
function lastFrameBranch(
  last: string,
  frames: number,
  output: string | undefined,
): { filters: string[]; last: string; args: string[] } {
  if (!output) return { filters: [], last, args: [] };
  return {
    filters: [`${last}split=2[clip][tail]`, `[tail]select='eq(n,${frames - 1})'[lastframe]`],
    last: '[clip]',
    args: ['-map', '[lastframe]', '-frames:v', '1', '-update', '1', output],
  };
}
