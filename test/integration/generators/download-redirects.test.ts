// Vendor clip downloads follow redirects only to https or to a host configured for the vendor
// (issue #13): two real loopback servers, one playing the vendor's CDN, one an untrusted host.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadVideo, hostsOf, type DownloadOptions } from '../../../src/generators/remote/download-video.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { sampleMp4 } from '../../fakes/shared/fake-http-server.js';

let vendor: Server;
let other: Server;
let vendorUrl = '';
let otherUrl = '';
let dir = '';
const seen: { server: string; req: IncomingMessage }[] = [];

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function serveClip(name: string) {
  return createServer((req, res) => {
    seen.push({ server: name, req });
    const path = req.url ?? '/';
    if (path === '/clip.mp4') {
      const clip = sampleMp4();
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': clip.length });
      res.end(clip);
      return;
    }
    const target =
      path === '/to-self'
        ? '/clip.mp4'
        : path === '/to-other'
          ? `${otherUrl}/clip.mp4`
          : path === '/to-https'
            ? `${otherUrl.replace('http:', 'https:')}/clip.mp4`
            : path === '/loop'
              ? '/loop'
              : null;
    if (!target) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(302, { location: target });
    res.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-redirects-'));
  vendor = serveClip('vendor');
  other = serveClip('other');
  vendorUrl = await listen(vendor);
  otherUrl = await listen(other);
});
afterAll(async () => {
  for (const s of [vendor, other]) {
    s.closeAllConnections();
    s.close();
  }
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
});

const options = (trusted: string[]): DownloadOptions => ({
  backend: 'runway',
  signal: new AbortController().signal,
  maxBytes: 10_000_000,
  maxRetries: 0,
  retryBaseMs: 1,
  headers: { authorization: 'Bearer vendor-secret' },
  trustedHosts: trusted,
});

describe('download redirects', () => {
  it('follows a redirect within the configured vendor host', async () => {
    const out = join(dir, 'self.mp4');
    await downloadVideo(`${vendorUrl}/to-self`, out, options(hostsOf(vendorUrl)));
    expect((await readFile(out)).equals(sampleMp4())).toBe(true);
  });

  it('refuses a redirect to plain http on a host nobody configured, before contacting it', async () => {
    const out = join(dir, 'other.mp4');
    const err = await downloadVideo(`${vendorUrl}/to-other`, out, options(hostsOf(vendorUrl))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationError);
    expect((err as Error).message).toMatch(
      /^runway: download from 127\.0\.0\.1:\d+\/to-other redirected to http:\/\/127\.0\.0\.1:\d+, which is neither https nor a configured runway host$/,
    );
    expect(seen.filter((s) => s.server === 'other')).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
  });

  it('follows a redirect to another configured host without the vendor key, and to https', async () => {
    await downloadVideo(`${vendorUrl}/to-other`, join(dir, 'trusted.mp4'), options(hostsOf(vendorUrl, otherUrl)));
    const atOther = seen.find((s) => s.server === 'other')!;
    expect(atOther.req.headers.authorization).toBeUndefined();
    expect(seen.find((s) => s.server === 'vendor')!.req.headers.authorization).toBe('Bearer vendor-secret');
    // https is allowed anywhere: the attempt reaches the TLS handshake (the loopback server speaks
    // plain http, so it then fails as a connection error, not as a refused redirect).
    const err = await downloadVideo(`${vendorUrl}/to-https`, join(dir, 'https.mp4'), options(hostsOf(vendorUrl))).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/failed \(connection failed\)/);
  });

  it('gives up on a redirect loop', async () => {
    const err = await downloadVideo(`${vendorUrl}/loop`, join(dir, 'loop.mp4'), options(hostsOf(vendorUrl))).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toMatch(/redirected more than 5 times/);
  });
});
