// URLs a client names (a first-frame image URL, a job's own webhook) against a DNS-rebinding
// attacker: a name that answers a public address to the server's check and 127.0.0.1 afterwards.
// The service runs in this process; the attacker answers through the process's resolver
// (rebinding-dns.ts), and connections to the "public" address are routed in-process to a stand-in
// on 127.0.0.2 (same port), so nothing leaves the machine. A loopback-only server on 127.0.0.1,
// holding what an attacker wants, must never see a request. What the client reads says "refused",
// "unreachable" or "not an image", never the remote status or content.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';
import { installRebindingDns, PUBLIC_ADDRESS, type RebindingDns } from '../../support/rebinding-dns.js';
import { OutboundHttp, outboundFailure } from '../../../src/http/outbound-http.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==',
  'base64',
);
// Another real 1×1 PNG (red): images are decoded at submission, so a corrupt one would be refused.
const OTHER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAACXBIWXMAAAABAAAAAQBPJcTWAAAADElEQVR4nGP4x8AAAAL+AP8oJgQeAAAAAElFTkSuQmCC',
  'base64',
);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Recorder {
  server: Server;
  requests: { method: string; path: string }[];
  hosts: string[];
  handle: (req: IncomingMessage, res: ServerResponse) => void;
}

function recorder(): Recorder {
  const r: Recorder = {
    server: undefined as unknown as Server,
    requests: [],
    hosts: [],
    handle: (_req, res) => {
      res.writeHead(404).end();
    },
  };
  r.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      r.requests.push({ method: req.method ?? '', path: req.url ?? '' });
      r.hosts.push(req.headers.host ?? '');
      r.handle(req, res);
    });
  });
  return r;
}

async function listen(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
}

let dns: RebindingDns;
let svc: TestService;
/** Only on loopback: what the attacker wants the server to fetch or post to. */
const target = recorder();
/** Where connections to PUBLIC_ADDRESS land (127.0.0.2, the target's port). */
const standIn = recorder();
let port = 0;

beforeAll(async () => {
  dns = installRebindingDns();
  for (;;) {
    await listen(target.server, '127.0.0.1', 0);
    port = (target.server.address() as { port: number }).port;
    if (await listen(standIn.server, '127.0.0.2', port)) break;
    target.server.close();
    await once(target.server, 'close');
  }
  dns.standIn(PUBLIC_ADDRESS, '127.0.0.2');
  target.handle = (req, res) => {
    if (req.url === '/frame.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(200).end('secret');
  };
  svc = await startTestService(
    {
      server: { job_options: ['image', 'webhook'], fetch_image_urls: true },
      security: { rate_limit_per_minute: 10_000 },
      webhooks: { retry_base_seconds: 0.02, max_attempts: 4, events: ['job.canceled'] },
    },
    { worker: false },
  );
});
afterEach(() => {
  target.requests.length = 0;
  standIn.requests.length = 0;
  standIn.hosts.length = 0;
});
afterAll(async () => {
  await svc?.close();
  for (const s of [target.server, standIn.server]) {
    s.closeAllConnections();
    s.close();
  }
  dns?.restore();
});

async function submit(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postJob(svc.url, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function jobLog(id: string): Promise<string[]> {
  return ((await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines;
}

/** Public for the first `publicLookups` lookups of `name`, 127.0.0.1 after. */
function rebinding(name: string, publicLookups: number) {
  return dns.answer(name, (n) => (n < publicLookups ? PUBLIC_ADDRESS : '127.0.0.1'));
}

describe('image URL (server.fetch_image_urls)', () => {
  it('never reaches loopback when the name rebinds after answering a public address', async () => {
    const name = 'img.rebind.test';
    const lookups = rebinding(name, 1);
    standIn.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }).end(OTHER_PNG);
    };
    const res = await submit({ prompt: 'A frame.', options: { image: `http://${name}:${port}/frame.png` } });
    expect(target.requests).toEqual([]);
    // One lookup, one connection, to the address that was checked.
    expect(lookups.lookups()).toBe(1);
    expect(res.status).toBe(202);
    expect((res.body.options as { image: { sha256: string } }).image.sha256).toBe(sha256(OTHER_PNG));
    expect(standIn.requests).toEqual([{ method: 'GET', path: '/frame.png' }]);
    // Connected by address, asked by name.
    expect(standIn.hosts).toEqual([`${name}:${port}`]);
  });

  it('refuses a name that resolves to loopback, and an IPv4-embedding IPv6 literal, as "refused"', async () => {
    dns.answer('inner.rebind.test', () => '127.0.0.1');
    for (const url of [
      `http://inner.rebind.test:${port}/frame.png`,
      `http://[::ffff:7f00:1]:${port}/frame.png`,
      `http://[::7f00:1]:${port}/frame.png`,
      `http://[64:ff9b::7f00:1]:${port}/frame.png`,
    ]) {
      const res = await submit({ prompt: 'A frame.', options: { image: url } });
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toBe(
        'options.image: URL refused: only public http(s) hosts are fetched, and redirects are not followed',
      );
    }
    expect(target.requests).toEqual([]);
  });

  it('says only "unreachable", "refused" or "not an image" about what a public host answered', async () => {
    dns.answer('public.rebind.test', () => PUBLIC_ADDRESS);
    standIn.handle = (req, res) => {
      if (req.url === '/missing') res.writeHead(404).end('no such frame at /srv/frames');
      else if (req.url === '/broken') res.writeHead(503).end();
      else if (req.url === '/moved') res.writeHead(302, { location: `http://127.0.0.1:${port}/frame.png` }).end();
      else res.writeHead(200, { 'content-type': 'image/png' }).end('{"internal":"json, not a PNG"}');
    };
    const answers: Record<string, string> = {};
    for (const path of ['/missing', '/broken', '/moved', '/text']) {
      const res = await submit({ prompt: 'A frame.', options: { image: `http://public.rebind.test:${port}${path}` } });
      expect(res.status, path).toBe(400);
      answers[path] = res.body.message as string;
    }
    expect(answers).toEqual({
      '/missing': 'options.image: URL unreachable',
      '/broken': 'options.image: URL unreachable',
      '/moved': 'options.image: URL refused: only public http(s) hosts are fetched, and redirects are not followed',
      '/text': `options.image: URL is not an image (a PNG, JPEG or WebP of at most ${svc.config.server.max_image_bytes} bytes)`,
    });
    // The redirect to loopback was not followed.
    expect(target.requests).toEqual([]);
  });
});

describe("a job's own webhook", () => {
  /** Submits a job whose webhook is `url`, cancels it (job.canceled is its one event) and returns the delivery's job log lines once they settle. */
  async function canceledWithHook(url: string): Promise<string[]> {
    const res = await submit({ prompt: 'A hook.', options: { webhook: { url, events: ['job.canceled'] } } });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect((await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
    return waitFor(
      async () => {
        const lines = await jobLog(id);
        return lines.some((l) => /Webhook job\.canceled (delivered|to .* (failed after|not sent))/.test(l))
          ? lines
          : null;
      },
      { timeoutMs: 60_000, what: 'the job.canceled delivery to settle' },
    );
  }

  it('first delivery: connects to the address it checked, never to the one a second lookup would give', async () => {
    // Public to the submission check and to one more lookup: a delivery that checks and then
    // resolves again (the old way) would post to 127.0.0.1.
    const name = 'hook-first.rebind.test';
    rebinding(name, 2);
    standIn.handle = (_req, res) => {
      res.writeHead(204).end();
    };
    const lines = await canceledWithHook(`http://${name}:${port}/hook`);
    expect(target.requests).toEqual([]);
    expect(standIn.requests).toEqual([{ method: 'POST', path: '/hook' }]);
    expect(standIn.hosts).toEqual([`${name}:${port}`]);
    expect(lines.some((l) => /Webhook job\.canceled delivered to .* \(attempt 1, HTTP 204\)/.test(l))).toBe(true);
  });

  it('retry: every attempt checks again, so the name rebinding between attempts reaches nothing', async () => {
    // Public to the check and the first two attempts, loopback from the third on; the stand-in
    // refuses and closes, so each retry opens (and checks) a new connection.
    const name = 'hook-retry.rebind.test';
    rebinding(name, 3);
    standIn.handle = (_req, res) => {
      res.writeHead(500, { connection: 'close' }).end('upstream db at 10.0.0.5 down');
    };
    const lines = await canceledWithHook(`http://${name}:${port}/hook`);
    expect(target.requests).toEqual([]);
    expect(standIn.requests.length).toBe(2);
    const mine = lines.filter((l) => l.includes('Webhook job.canceled'));
    expect(mine.filter((l) => /\(attempt [12], HTTP 500\); retrying/.test(l))).toHaveLength(2);
    expect(mine.some((l) => /\(attempt 3, refused\); retrying/.test(l))).toBe(true);
    expect(mine.some((l) => /failed after 4 attempts \(refused\)/.test(l))).toBe(true);
    // Nothing about where the name pointed, or what the host said.
    expect(mine.join('\n')).not.toMatch(/127\.0\.0\.1|10\.0\.0\.5|upstream/);
  });

  it('refuses at submission a webhook whose name resolves to loopback, without saying where it points', async () => {
    dns.answer('hook-inner.rebind.test', () => '127.0.0.1');
    const res = await submit({
      prompt: 'A hook.',
      options: { webhook: { url: `http://hook-inner.rebind.test:${port}/hook` } },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'options.webhook.url: is refused: its host is not a public address (webhooks.allow_private_urls is off)',
    );
    for (const url of [
      'http://[::7f00:1]/hook',
      'http://[::ffff:0:7f00:1]/hook',
      'http://[64:ff9b:1::a00:1]/hook',
      'http://[2002:7f00:1::]/hook',
      'http://[fec0::1]/hook',
    ]) {
      const literal = await submit({ prompt: 'A hook.', options: { webhook: { url } } });
      expect(literal.status, url).toBe(400);
      expect(literal.body.message, url).toContain('is refused');
    }
    expect(target.requests).toEqual([]);
  });
});

describe('OutboundHttp (public-only)', () => {
  it("sends the URL's name as TLS SNI while connecting to the checked address, and validates the certificate against the name", async () => {
    const seen: string[] = [];
    // No certificate at all: the handshake ends at SNI, after the server has read the name.
    const tlsServer = createTlsServer({
      SNICallback: (servername, cb) => {
        seen.push(servername);
        cb(new Error('no certificate here'));
      },
    });
    tlsServer.listen(0, '127.0.0.2');
    await once(tlsServer, 'listening');
    const tlsPort = (tlsServer.address() as { port: number }).port;
    const lookups: string[] = [];
    // The documented constructor parameter, instead of the process resolver.
    const http = new OutboundHttp({
      publicOnly: true,
      resolve: async (hostname) => {
        lookups.push(hostname);
        return [{ address: PUBLIC_ADDRESS, family: 4 }];
      },
    });
    try {
      const failure = await http
        .fetch(`https://hooks.example.test:${tlsPort}/x`, { signal: AbortSignal.timeout(10_000) })
        .then(
          () => null,
          (err: unknown) => outboundFailure(err),
        );
      expect(failure).toBe('unreachable');
      expect(seen).toEqual(['hooks.example.test']);
      expect(lookups).toEqual(['hooks.example.test']);
      expect(dns.connects.at(-1)).toBe(PUBLIC_ADDRESS);
    } finally {
      await http.close();
      tlsServer.close();
    }
  });

  it('refuses at connect a name whose resolver answers a special address among public ones', async () => {
    const http = new OutboundHttp({
      publicOnly: true,
      resolve: async () => [
        { address: PUBLIC_ADDRESS, family: 4 },
        { address: '::ffff:169.254.169.254', family: 6 },
      ],
    });
    try {
      const before = dns.connects.length;
      const failure = await http.fetch(`http://metadata.example.test:${port}/latest`).then(
        () => null,
        (err: unknown) => outboundFailure(err),
      );
      expect(failure).toBe('refused');
      expect(dns.connects.length).toBe(before);
      expect(target.requests).toEqual([]);
      expect(standIn.requests).toEqual([]);
    } finally {
      await http.close();
    }
  });
});
