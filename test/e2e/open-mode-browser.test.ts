/// <reference lib="dom" />
// Open mode against a real browser (Debian's Chromium, driven by playwright-core), with the browser's
// resolver pointing attacker.example and evil.example at 127.0.0.1 (no packet leaves the machine):
// - the dashboard opened as http://localhost:<port> submits, follows and plays a video (same-origin
//   writes pass; the signed link, built from the bound address 127.0.0.1, is played from the page's origin);
// - a page on another site auto-submitting a multipart form (and a no-cors fetch) to /v1/videos creates no job;
// - a DNS-rebinding page (attacker.example now answering 127.0.0.1) gets 421, not the job list.
import { createServer, type Server } from 'node:http';

import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { waitFor } from '../support/wait-for.js';

let svc: TestService;
let port: string;
let browser: Browser;
let evil: Server;
let evilPort: number;
const pagesServed: string[] = [];

/** The attacker's site: a page that posts a job to the local ttv the moment it loads. */
function evilPage(target: string): string {
  return `<!doctype html><title>cute cats</title>
<form id="f" method="post" enctype="multipart/form-data" action="${target}/v1/videos">
  <input name="prompt" value="Spend the user's vendor credit."><input name="model" value="sora-2">
</form>
<iframe name="sink" id="sink"></iframe>
<script>
  const body = new FormData();
  body.set('prompt', 'A no-cors fetch spends credit too.');
  fetch('${target}/v1/videos', { method: 'POST', mode: 'no-cors', body })
    .then(() => { document.title = 'fetch-sent'; }, () => { document.title = 'fetch-failed'; })
    .finally(() => { const f = document.getElementById('f'); f.target = 'sink'; f.submit(); });
  document.getElementById('sink').addEventListener('load', () => { document.body.dataset.formDone = '1'; });
</script>`;
}

async function jobCount(): Promise<number> {
  const res = await fetch(`${svc.url}/v1/jobs?limit=100`);
  return ((await res.json()) as { jobs: unknown[] }).jobs.length;
}

beforeAll(async () => {
  requireChromium();
  svc = await startTestService({});
  port = new URL(svc.url).port;
  evil = createServer((req, res) => {
    pagesServed.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(evilPage(svc.url));
  });
  evil.listen(0, '127.0.0.1');
  await once(evil, 'listening');
  evilPort = (evil.address() as { port: number }).port;
  browser = await launchChromium(['--host-resolver-rules=MAP attacker.example 127.0.0.1, MAP evil.example 127.0.0.1']);
});
afterAll(async () => {
  await browser?.close();
  evil?.close();
  await svc?.close();
});

describe('open mode in a browser', () => {
  it('the dashboard at http://localhost:<port> submits a prompt and plays the finished video', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`http://localhost:${port}/`);
    await page.fill('#prompt', 'A lighthouse at dusk. The beam sweeps the fog.');
    await page.click('#submit');
    await page.waitForSelector('#detail-status.finished', { timeout: 60_000 });
    const duration = await page.waitForFunction(
      () => {
        const v = document.querySelector('video');
        return v && v.readyState >= 1 && Number.isFinite(v.duration) ? v.duration : null;
      },
      undefined,
      { timeout: 15_000 },
    );
    expect(Number(await duration.jsonValue())).toBeGreaterThan(0);
    // Played from the page's own origin, whatever origin the signed link names.
    expect(await page.evaluate(() => new URL(document.querySelector('video')!.currentSrc).origin)).toBe(
      `http://localhost:${port}`,
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a page on another site posting a form and a no-cors fetch to /v1/videos creates no job', async () => {
    const before = await jobCount();
    const page = await browser.newPage();
    // What the server answered the two posts (the page itself cannot read them: no CORS, no framing).
    const answers: { status: number; body: string }[] = [];
    page.on('response', (res) => {
      if (res.request().method() === 'POST' && res.url() === `${svc.url}/v1/videos`)
        void res.text().then(
          (body) => answers.push({ status: res.status(), body }),
          () => answers.push({ status: res.status(), body: '' }),
        );
    });
    await page.goto(`http://evil.example:${evilPort}/`);
    await page.waitForSelector('body[data-form-done="1"]', { state: 'attached', timeout: 15_000 });
    expect(await page.title()).toBe('fetch-sent');
    await waitFor(async () => answers.length === 2, { what: 'both posts answered' });
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    for (const { body } of answers.filter((a) => a.body))
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'forbidden', type: 'permission_error' } });
    await page.close();
    expect(pagesServed.length).toBeGreaterThan(0);
    expect(await jobCount()).toBe(before);
  });

  it('a DNS-rebinding page (attacker.example → 127.0.0.1) gets 421, not the jobs', async () => {
    await waitFor(async () => (await jobCount()) > 0, { what: 'a job to exist' });
    const page = await browser.newPage();
    const res = await page.goto(`http://attacker.example:${port}/v1/jobs`);
    expect(res?.status()).toBe(421);
    const body = JSON.parse((await page.textContent('body')) ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'MisdirectedRequest' });
    expect(body).not.toHaveProperty('jobs');
    const root = await page.goto(`http://attacker.example:${port}/`);
    expect(root?.status()).toBe(421);
    await page.close();
  });
});
