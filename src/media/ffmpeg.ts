// ffmpeg/ffprobe wrappers: probe, render, last frame, concat (stream copy when the segments match,
// otherwise normalise first). The binaries are spawned directly (paths configurable).
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { runProcess } from './process-runner.js';

export interface ProbeResult {
  durationSeconds: number;
  formatName: string;
  video: { codec: string; profile: string | null; width: number; height: number; fps: number; pixFmt: string; timeBase: string } | null;
  audio: { codec: string; sampleRate: number; channels: number } | null;
}

export interface FfmpegOptions {
  ffmpegPath: string;
  ffprobePath: string;
  graceMs: number;
}

interface Signalled {
  signal?: AbortSignal;
}

function parseRate(rate: string | undefined): number {
  if (!rate) return 0;
  const [n, d] = rate.split('/').map(Number);
  return d ? n! / d : n ?? 0;
}

/** One line of a concat demuxer list: the path single-quoted, embedded quotes escaped as '\''. */
export function concatListLine(path: string): string {
  return `file '${path.replace(/'/g, "'\\''")}'`;
}

export class Ffmpeg {
  constructor(private readonly options: FfmpegOptions) {}

  static fromConfig(config: AppConfig): Ffmpeg {
    return new Ffmpeg({ ffmpegPath: config.ffmpeg_path, ffprobePath: config.ffprobe_path, graceMs: config.worker.cancel_grace_seconds * 1000 });
  }

  /** Runs ffmpeg with the given arguments (after -y -hide_banner -loglevel error). */
  async run(args: string[], opts: Signalled & { onStderrLine?: (line: string) => void } = {}): Promise<void> {
    await runProcess(this.options.ffmpegPath, ['-y', '-hide_banner', '-loglevel', 'error', ...args], {
      signal: opts.signal, graceMs: this.options.graceMs, onStderrLine: opts.onStderrLine,
    });
  }

  async probe(file: string, opts: Signalled = {}): Promise<ProbeResult> {
    const { stdout } = await runProcess(this.options.ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
      signal: opts.signal, graceMs: this.options.graceMs,
    });
    const json = JSON.parse(stdout) as { format?: { duration?: string; format_name?: string }; streams?: Record<string, string | number>[] };
    const v = json.streams?.find((s) => s.codec_type === 'video');
    const a = json.streams?.find((s) => s.codec_type === 'audio');
    return {
      durationSeconds: Number(json.format?.duration ?? 0),
      formatName: json.format?.format_name ?? '',
      video: v ? {
        codec: String(v.codec_name), profile: v.profile ? String(v.profile) : null, width: Number(v.width), height: Number(v.height),
        fps: parseRate(String(v.r_frame_rate ?? v.avg_frame_rate)), pixFmt: String(v.pix_fmt), timeBase: String(v.time_base),
      } : null,
      audio: a ? { codec: String(a.codec_name), sampleRate: Number(a.sample_rate), channels: Number(a.channels) } : null,
    };
  }

  /** Writes the last frame of a video as PNG (used to chain segments). */
  async extractLastFrame(video: string, outPng: string, opts: Signalled = {}): Promise<string> {
    await mkdir(dirname(outPng), { recursive: true });
    await this.run(['-sseof', '-0.1', '-i', video, '-frames:v', '1', '-update', '1', outPng], opts);
    return outPng;
  }

  /**
   * Concatenates clips into `output` (+faststart). Stream copy when every clip shares codec, size,
   * frame rate, pixel format and audio layout; otherwise each is normalised to the first clip's size
   * and rate (H.264/yuv420p, AAC or no audio) and then joined.
   */
  async concat(inputs: string[], output: string, opts: Signalled & { workDir: string; probes?: ProbeResult[] }): Promise<{ mode: 'copy' | 'normalized' }> {
    if (inputs.length === 0) throw new Error('nothing to concatenate');
    // Probes the caller already has (taken while other work ran) are used as they are.
    const probes = opts.probes?.length === inputs.length ? opts.probes : await Promise.all(inputs.map((i) => this.probe(i, opts)));
    const first = probes[0]!;
    const same = probes.every((p) =>
      p.video && first.video && p.video.codec === first.video.codec && p.video.width === first.video.width && p.video.height === first.video.height &&
      Math.abs(p.video.fps - first.video.fps) < 0.01 && p.video.pixFmt === first.video.pixFmt && p.video.profile === first.video.profile &&
      (p.audio?.codec ?? null) === (first.audio?.codec ?? null) && (p.audio?.sampleRate ?? null) === (first.audio?.sampleRate ?? null));
    let sources = inputs;
    let mode: 'copy' | 'normalized' = 'copy';
    if (!same) {
      mode = 'normalized';
      const width = first.video?.width ?? 1280;
      const height = first.video?.height ?? 720;
      const fps = Math.round(first.video?.fps || 24);
      const withAudio = probes.some((p) => p.audio);
      const dir = join(opts.workDir, 'normalized');
      await mkdir(dir, { recursive: true });
      sources = [];
      for (const [i, input] of inputs.entries()) {
        const out = join(dir, `part_${String(i).padStart(3, '0')}.mp4`);
        const args = ['-i', input];
        if (withAudio && !probes[i]!.audio) args.push('-f', 'lavfi', '-i', 'anullsrc=channel_layout=stereo:sample_rate=48000');
        args.push(
          '-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${fps}`,
          '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-profile:v', 'high', '-r', String(fps), '-video_track_timescale', String(fps * 1000),
        );
        if (withAudio) args.push('-map', '0:v:0', '-map', probes[i]!.audio ? '0:a:0' : '1:a:0', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-shortest');
        else args.push('-an');
        args.push(out);
        await this.run(args, opts);
        sources.push(out);
      }
    }
    const list = join(opts.workDir, 'concat.txt');
    await writeFile(list, `${sources.map(concatListLine).join('\n')}\n`);
    try {
      await this.run(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', output], opts);
    } finally {
      await rm(list, { force: true });
    }
    return { mode };
  }
}
