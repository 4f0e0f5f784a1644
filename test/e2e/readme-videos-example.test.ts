// The Videos API example of docs/http-api.md (once the README's), taken from the page itself (so the
// two cannot drift): its config block given to `ttv serve`, its code block run with node against that
// server, which must leave an MP4 behind.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Ffmpeg } from '../../src/media/ffmpeg.js';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });

/** The fenced blocks of a given language in the page's section under `heading`. */
function blocks(page: string, heading: string, lang: string): string[] {
  const start = page.indexOf(heading);
  if (start < 0) throw new Error(`docs/http-api.md has no "${heading}" section`);
  const rest = page.slice(start + heading.length);
  const section = rest.slice(0, rest.search(/\n#{2,3} /) >>> 0);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
}

describe('docs/http-api.md: OpenAI-compatible Videos API example', () => {
  let ttv: TtvProcess | null = null;
  const dirs: string[] = [];
  afterAll(async () => {
    await ttv?.kill('SIGTERM');
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("runs as pasted against `ttv serve` with the page's config and writes an MP4", async () => {
    const page = await readFile(join(ROOT, 'docs', 'http-api.md'), 'utf8');
    const [yaml] = blocks(page, '## OpenAI-compatible Videos API', 'yaml');
    const [code] = blocks(page, '## OpenAI-compatible Videos API', 'js');
    expect(yaml).toBeDefined();
    expect(code).toContain('client.videos.create');

    const dataDir = await mkdtemp(join(tmpdir(), 'ttv-readme-'));
    dirs.push(dataDir);
    const configFile = join(dataDir, 'ttv.yaml');
    await writeFile(configFile, yaml!);
    ttv = await startTtv(['serve', '--port', '0', '--data-dir', join(dataDir, 'data'), '--config', configFile]);

    // Inside the repository, so that `import 'openai'` resolves to the installed SDK.
    await mkdir(join(ROOT, 'test-results'), { recursive: true });
    const work = await mkdtemp(join(ROOT, 'test-results', 'readme-example-'));
    dirs.push(work);
    await writeFile(join(work, 'example.mjs'), code!);
    const env: NodeJS.ProcessEnv = { ...process.env, TTV_BASE_URL: `${ttv.url}/v1` };
    delete env.TTV_TOKEN;
    await run(process.execPath, ['example.mjs'], { cwd: work, env, timeout: 600_000 });

    const probe = await ffmpeg.probe(join(work, 'video.mp4'));
    expect(probe.formatName).toContain('mp4');
    expect(probe.video?.codec).toBe('h264');
    expect([probe.video!.width, probe.video!.height]).toEqual([1280, 720]);
    expect(Math.abs(probe.durationSeconds - 4)).toBeLessThanOrEqual(0.5);
  });
});
