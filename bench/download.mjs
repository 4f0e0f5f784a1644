// Benchmark: streaming a vendor clip to disk (src/generators/remote/download-video.ts).
// A loopback server sends a large body in 64 KiB chunks; the download's throughput and the
// process's peak RSS above its starting point are printed, next to Node's own fetch-to-buffer
// (what a non-streaming client would do) for comparison. Run with `npm run bench:download`.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { downloadVideo } from '../dist/generators/remote/download-video.js';

const MB = Number(process.env.BENCH_MB ?? 512);
const SIZE = MB * 1024 * 1024;
const chunk = Buffer.alloc(64 * 1024, 7);

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': SIZE });
  let sent = 0;
  const pump = () => {
    while (sent < SIZE) {
      const part = chunk.subarray(0, Math.min(chunk.length, SIZE - sent));
      sent += part.length;
      if (!res.write(part)) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${server.address().port}/clip.mp4`;
const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-dl-'));

async function measure(name, fn) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `${name.padEnd(28)} ${(MB / seconds).toFixed(0).padStart(6)} MB/s   peak RSS +${((peak - base) / 1048576).toFixed(0)} MB`,
  );
}

try {
  console.log(`${MB} MiB clip over loopback HTTP/1.1`);
  await measure('downloadVideo (streamed)', async () => {
    const out = join(dir, 'a.mp4');
    await downloadVideo(url, out, {
      backend: 'bench',
      signal: new AbortController().signal,
      maxBytes: SIZE * 2,
      maxRetries: 0,
      retryBaseMs: 10,
    });
    if (statSync(out).size !== SIZE) throw new Error('size mismatch');
  });
  await measure('fetch → arrayBuffer (buffered)', async () => {
    const bytes = await (await fetch(url)).arrayBuffer();
    if (bytes.byteLength !== SIZE) throw new Error('size mismatch');
  });
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
