// ffmpeg/ffprobe wrappers: probe, render, last frame, concat (stream copy when the segments match,
// otherwise normalise first). The binaries are spawned directly (paths configurable), each run in its
// own process group so that a cancel kills it (process-runner.ts), and each under a deadline: a
// probe gets media.probe_timeout_seconds, an ffmpeg run media.ffmpeg_timeout_seconds plus
// media.ffmpeg_timeout_per_video_second for each second of video it handles.
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { throwIfAborted } from '../errors/canceled-error.js';
import { runProcess } from './process-runner.js';
import { ProcessError } from '../errors/process-error.js';
import { cropToAspect, sameAspect, type FrameSize } from './frame-geometry.js';

export interface ProbeResult {
  durationSeconds: number;
  formatName: string;
  video: {
    codec: string;
    profile: string | null;
    width: number;
    height: number;
    fps: number;
    pixFmt: string;
    timeBase: string;
    /** The video stream's own duration (the container's when the stream states none). */
    durationSeconds: number;
  } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

export interface MediaDeadlines {
  probeMs: number;
  /** Every ffmpeg run may take this long… */
  runMs: number;
  /** …plus this much per second of video it handles. */
  runPerVideoSecondMs: number;
}

/** The config's defaults (media.*), for wrappers built without a config. */
export const DEFAULT_MEDIA_DEADLINES: MediaDeadlines = { probeMs: 15_000, runMs: 120_000, runPerVideoSecondMs: 10_000 };

export interface FfmpegOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** SIGTERM → SIGKILL grace for a canceled or overdue ffmpeg's process group. */
  graceMs: number;
  deadlines?: MediaDeadlines;
}

interface Signalled {
  signal?: AbortSignal;
}

export interface RunMediaOptions extends Signalled {
  onStderrLine?: (line: string) => void;
  /** Seconds of video this run renders, reads or writes: its deadline grows with them. */
  videoSeconds?: number;
}

function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [n, d] = rate.split('/').map(Number);
  const value = d ? n! / d : (n ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/**
 * One line of a concat demuxer list: the path single-quoted (inside quotes the demuxer takes every
 * byte literally, backslashes and spaces included), each embedded quote written as '\'' (close the
 * quote, an escaped quote, reopen). A line break cannot be expressed in a list line, so such paths are
 * refused rather than turned into a second, attacker-shaped entry.
 */
export function concatListLine(path: string): string {
  if (/[\r\n\0]/.test(path)) throw new Error('a path with a line break cannot be listed for the concat demuxer');
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

/** Whether the concat demuxer can join these clips by stream copy (same codec parameters throughout). */
export function canStreamCopy(probes: ProbeResult[]): boolean {
  const first = probes[0];
  if (!first?.video) return false;
  const v0 = first.video;
  const a0 = first.audio;
  return probes.every(
    ({ video: v, audio: a }) =>
      v !== null &&
      v.codec === v0.codec &&
      v.profile === v0.profile &&
      v.width === v0.width &&
      v.height === v0.height &&
      Math.abs(v.fps - v0.fps) < 0.01 &&
      v.pixFmt === v0.pixFmt &&
      (a === null) === (a0 === null) &&
      (a === null ||
        a0 === null ||
        (a.codec === a0.codec && a.sampleRate === a0.sampleRate && a.channels === a0.channels)),
  );
}

async function nonEmptyFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

/** Most video seconds a deadline counts: a job is at most 600 s, so a clip claiming more (a vendor's bad header) gets no longer. */
const MAX_DEADLINE_VIDEO_SECONDS = 3600;
/** What ffmpeg (and the OS) print when a write finds the disk full. */
const NO_SPACE = /No space left on device/i;

/** The deadlines of media.* in milliseconds. */
export function mediaDeadlines(config: Pick<AppConfig, 'media'>): MediaDeadlines {
  return {
    probeMs: config.media.probe_timeout_seconds * 1000,
    runMs: config.media.ffmpeg_timeout_seconds * 1000,
    runPerVideoSecondMs: config.media.ffmpeg_timeout_per_video_second * 1000,
  };
}

export class Ffmpeg {
  private readonly deadlines: MediaDeadlines;

  constructor(private readonly options: FfmpegOptions) {
    this.deadlines = options.deadlines ?? DEFAULT_MEDIA_DEADLINES;
  }

  static fromConfig(config: AppConfig): Ffmpeg {
    return new Ffmpeg({
      ffmpegPath: config.ffmpeg_path,
      ffprobePath: config.ffprobe_path,
      graceMs: config.worker.cancel_grace_seconds * 1000,
      deadlines: mediaDeadlines(config),
    });
  }

  get ffprobePath(): string {
    return this.options.ffprobePath;
  }

  get graceMs(): number {
    return this.options.graceMs;
  }

  get probeTimeoutMs(): number {
    return this.deadlines.probeMs;
  }

  /** The deadline of an ffmpeg run that handles this many seconds of video. */
  runDeadlineMs(videoSeconds = 0): number {
    return Math.round(this.deadlines.runMs + this.deadlines.runPerVideoSecondMs * Math.max(0, videoSeconds));
  }

  /** Runs ffmpeg with the given arguments (after -y -hide_banner -loglevel error), within its deadline. */
  async run(args: string[], opts: RunMediaOptions = {}): Promise<void> {
    const seconds =
      opts.videoSeconds && opts.videoSeconds > 0 ? Math.min(opts.videoSeconds, MAX_DEADLINE_VIDEO_SECONDS) : 0;
    const { stderr } = await runProcess(
      this.options.ffmpegPath,
      ['-y', '-hide_banner', '-loglevel', 'error', ...args],
      {
        signal: opts.signal,
        graceMs: this.options.graceMs,
        onStderrLine: opts.onStderrLine,
        timeoutMs: this.runDeadlineMs(seconds),
        timeoutSource:
          seconds > 0
            ? `media.ffmpeg_timeout_seconds + media.ffmpeg_timeout_per_video_second × ${Number(seconds.toFixed(3))} s of video`
            : 'media.ffmpeg_timeout_seconds',
      },
    );
    // ffmpeg exits 0 when a write fails while it closes the output ("Error writing trailer of …: No
    // space left on device"): the file is cut short (an MP4 without its index), so that is a failure.
    if (NO_SPACE.test(stderr)) throw new ProcessError(basename(this.options.ffmpegPath), 0, null, stderr);
  }

  /**
   * `format` forces the demuxer and allows only the file protocol: for a file a client sent, which
   * must then be read as what it is accepted as and can never make ffprobe open another file or URL.
   */
  async probe(file: string, opts: Signalled & { format?: string } = {}): Promise<ProbeResult> {
    const forced = opts.format ? ['-protocol_whitelist', 'file', '-f', opts.format] : [];
    const { stdout } = await runProcess(
      this.options.ffprobePath,
      ['-v', 'error', ...forced, '-print_format', 'json', '-show_format', '-show_streams', file],
      {
        signal: opts.signal,
        graceMs: this.options.graceMs,
        timeoutMs: this.deadlines.probeMs,
        timeoutSource: 'media.probe_timeout_seconds',
      },
    );
    const json = JSON.parse(stdout) as {
      format?: { duration?: string; format_name?: string };
      streams?: Record<string, string | number>[];
    };
    const v = json.streams?.find((s) => s.codec_type === 'video');
    const a = json.streams?.find((s) => s.codec_type === 'audio');
    const formatDuration = Number(json.format?.duration ?? 0) || 0;
    return {
      durationSeconds: formatDuration,
      formatName: json.format?.format_name ?? '',
      video: v
        ? {
            codec: String(v.codec_name),
            profile: v.profile ? String(v.profile) : null,
            width: Number(v.width),
            height: Number(v.height),
            fps: parseRate(String(v.r_frame_rate ?? v.avg_frame_rate)),
            pixFmt: String(v.pix_fmt),
            timeBase: String(v.time_base),
            durationSeconds: Number(v.duration ?? 0) || formatDuration,
          }
        : null,
      audio: a
        ? { codec: String(a.codec_name), sampleRate: Number(a.sample_rate), channels: Number(a.channels) }
        : null,
    };
  }

  /**
   * Writes the last frame of a video as PNG (chaining starts the next segment on it). Decodes only the
   * tail: seeks a couple of frame intervals before the end and keeps overwriting the PNG (`-update 1`),
   * so the file ends up holding the very last frame (`-sseof -0.1 -frames:v 1` would return the first
   * frame of that window, and nothing at all below 10 fps). When the tail
   * yields no frame (a container that outlasts its video stream), the whole stream is decoded.
   */
  async extractLastFrame(video: string, outPng: string, opts: Signalled = {}): Promise<string> {
    await mkdir(dirname(outPng), { recursive: true });
    await rm(outPng, { force: true });
    const probe = await this.probe(video, opts);
    if (!probe.video) throw new Error(`${basename(video)} has no video stream to take a frame from`);
    const window = probe.video.fps > 0 ? Math.max(0.1, 2 / probe.video.fps) : 1;
    const keepLast = ['-map', '0:v:0', '-an', '-update', '1', '-f', 'image2', outPng];
    await this.run(['-sseof', `-${window.toFixed(3)}`, '-i', video, ...keepLast], { signal: opts.signal });
    if (!(await nonEmptyFile(outPng))) {
      await this.run(['-i', video, ...keepLast], {
        signal: opts.signal,
        videoSeconds: probe.video.durationSeconds || probe.durationSeconds,
      });
      if (!(await nonEmptyFile(outPng))) throw new Error(`no frame could be decoded from ${basename(video)}`);
    }
    return outPng;
  }

  /** Width and height of an image (or a video's first stream). */
  async frameSize(image: string, opts: Signalled = {}): Promise<FrameSize> {
    const probe = await this.probe(image, opts);
    if (!probe.video || !(probe.video.width > 0 && probe.video.height > 0))
      throw new Error(`${basename(image)} is not a readable image`);
    return { width: probe.video.width, height: probe.video.height };
  }

  /**
   * Writes `input` to `output` (PNG) in another shape, without distortion: `{ aspect }` crops the
   * largest centred region of that shape (the pixels kept are the source's own), `{ size }` scales
   * to cover the size and crops the rest. Gives the sizes before and after; when the input already
   * has the shape (or size), nothing is written and `fitted` is false.
   */
  async fitFrame(
    input: string,
    output: string,
    target: { aspect: number } | { size: FrameSize },
    opts: Signalled = {},
  ): Promise<{ fitted: boolean; from: FrameSize; to: FrameSize }> {
    const from = await this.frameSize(input, opts);
    let to: FrameSize;
    let filter: string;
    if ('aspect' in target) {
      if (sameAspect(from.width / from.height, target.aspect)) return { fitted: false, from, to: from };
      to = cropToAspect(from, target.aspect);
      filter = `crop=${to.width}:${to.height},setsar=1`;
    } else {
      to = target.size;
      if (from.width === to.width && from.height === to.height) return { fitted: false, from, to };
      filter = `scale=${to.width}:${to.height}:force_original_aspect_ratio=increase,crop=${to.width}:${to.height},setsar=1`;
    }
    await mkdir(dirname(output), { recursive: true });
    // In place: ffmpeg must not write the file it reads.
    const written = resolve(output) === resolve(input) ? join(dirname(output), `.fit-${basename(output)}`) : output;
    await this.run(
      ['-i', input, '-vf', filter, '-frames:v', '1', '-update', '1', '-f', 'image2', '-c:v', 'png', written],
      opts,
    );
    if (written !== output) await rename(written, output);
    return { fitted: true, from, to };
  }

  /** Writes the first frame of a video as PNG (a remix starts from it). */
  async extractFirstFrame(video: string, outPng: string, opts: Signalled = {}): Promise<string> {
    await mkdir(dirname(outPng), { recursive: true });
    await rm(outPng, { force: true });
    await this.run(['-i', video, '-map', '0:v:0', '-an', '-frames:v', '1', '-f', 'image2', outPng], opts);
    if (!(await nonEmptyFile(outPng))) throw new Error(`no frame could be decoded from ${basename(video)}`);
    return outPng;
  }

  /**
   * Concatenates clips into `output` (+faststart). Stream copy when every clip shares codec, profile,
   * size, frame rate, pixel format and audio layout; otherwise each is first normalised to the first
   * clip's size and rate (H.264/yuv420p; AAC with silence added where a clip has none, or no audio at
   * all when no clip has any) and then joined. Scratch files go to a private directory under
   * `workDir` (default: the output's directory) that is removed afterwards.
   */
  async concat(
    inputs: string[],
    output: string,
    opts: Signalled & { workDir?: string; probes?: ProbeResult[] } = {},
  ): Promise<{ mode: 'copy' | 'normalized' }> {
    if (inputs.length === 0) throw new Error('nothing to concatenate');
    // The concat demuxer resolves relative entries against the list file, not the cwd.
    const files = inputs.map((i) => resolve(i));
    // Probes the caller already has (taken while other work ran) are used as they are.
    const probes =
      opts.probes?.length === files.length ? opts.probes : await Promise.all(files.map((f) => this.probe(f, opts)));
    const mode = canStreamCopy(probes) ? 'copy' : 'normalized';
    const scratch = await mkdtemp(join(resolve(opts.workDir ?? dirname(resolve(output))), '.concat-'));
    try {
      const sources = mode === 'copy' ? files : await this.normalize(files, probes, scratch, opts);
      const list = join(scratch, 'concat.txt');
      await writeFile(list, `${sources.map(concatListLine).join('\n')}\n`);
      const seconds = probes.reduce((sum, p) => sum + (p.video?.durationSeconds || p.durationSeconds), 0);
      await this.run(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', output], {
        signal: opts.signal,
        videoSeconds: seconds,
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return { mode };
  }

  private async normalize(files: string[], probes: ProbeResult[], dir: string, opts: Signalled): Promise<string[]> {
    const first = probes[0]!;
    const width = first.video?.width ?? 1280;
    const height = first.video?.height ?? 720;
    const fps = Math.max(1, Math.round(first.video?.fps || 24));
    const withAudio = probes.some((p) => p.audio);
    const parts: string[] = [];
    for (const [i, input] of files.entries()) {
      throwIfAborted(opts.signal);
      const probe = probes[i]!;
      const part = join(dir, `part_${String(i).padStart(3, '0')}.mp4`);
      const args = ['-i', input];
      if (withAudio && !probe.audio) args.push('-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
      args.push(
        '-map',
        '0:v:0',
        '-vf',
        `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps}`,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        '-profile:v',
        'high',
        '-r',
        String(fps),
        '-video_track_timescale',
        String(fps * 1000),
      );
      if (withAudio) {
        // Silence where the clip has none; a clip's own audio is padded; both end with the video.
        // -t rather than -shortest: -shortest overshoots by the muxer's interleaving window, and the
        // concat demuxer then leaves that much of a hole in the joined video's timeline.
        args.push('-map', probe.audio ? '0:a:0' : '1:a:0', '-c:a', 'aac', '-ar', '48000', '-ac', '2');
        if (probe.audio) args.push('-af', 'apad');
        const seconds = probe.video?.durationSeconds || probe.durationSeconds;
        args.push(...(seconds > 0 ? ['-t', seconds.toFixed(6)] : ['-shortest']));
      } else {
        args.push('-an');
      }
      args.push(part);
      await this.run(args, {
        signal: opts.signal,
        videoSeconds: probe.video?.durationSeconds || probe.durationSeconds,
      });
      parts.push(part);
    }
    return parts;
  }
}
