/// <reference lib="dom" />
// The dashboard's per-job option fields in a real headless Chromium: only the options the server
// allows are offered (from GET /v1/capabilities), and what is filled in becomes the job's options,
// the image uploaded as a file.
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startTestService, type TestService } from '../support/test-service.js';

let svc: TestService;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  requireChromium();
  dir = mkdtempSync(join(tmpdir(), 'ttv-dash-options-'));
  svc = await startTestService({ server: { job_options: ['duration_seconds', 'aspect_ratio', 'seed', 'image'] } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard job options', () => {
  it('offers the allowed options only, and submits them with the image', async () => {
    const png = join(dir, 'first.png');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x0000ff:s=32x32', '-frames:v', '1', png]);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(svc.url);
    await page.waitForSelector('#job-options:not([hidden]) #opt-seed');
    expect(
      await page.locator('#job-options [name]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).name)),
    ).toEqual(['duration_seconds', 'aspect_ratio', 'seed', 'image']);
    await page.fill('#prompt', 'A blue morning.');
    await page.fill('#opt-duration_seconds', '2');
    await page.selectOption('#opt-aspect_ratio', '9:16');
    await page.fill('#opt-seed', '11');
    await page.setInputFiles('#opt-image', png);
    await page.click('#submit');
    await page.waitForSelector('#detail-status.finished', { timeout: 60_000 });
    const id = await page.textContent('#detail-id');
    const job = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as { options: Record<string, unknown> };
    expect(job.options).toMatchObject({
      duration_seconds: 2,
      aspect_ratio: '9:16',
      seed: 11,
      image: { content_type: 'image/png' },
    });
    expect(errors).toEqual([]);
  });
});
