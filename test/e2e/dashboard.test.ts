/// <reference lib="dom" />
// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): submit a prompt,
// watch it finish, play the video. A screenshot is kept in test-results/.
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startTestService, type TestService } from '../helpers/test-service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package "chromium" (scripts/system-deps.sh test)`);
  svc = await startTestService({ security: { auth_token: 'dashboard-token-123456' } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe('dashboard', () => {
  it('submits a prompt, follows the job live, plays the finished video', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Resource errors (the list's 401 before the token is entered) are shown in the page; what must
    // not happen is a script error.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    await page.goto(svc.url);
    await page.fill('#token', 'dashboard-token-123456');
    await page.dispatchEvent('#token', 'change');
    await page.fill('#prompt', 'A lantern glows. Moths circle it.');
    await page.click('#submit');
    await page.waitForSelector('#detail-status.finished', { timeout: 30_000 });
    expect(await page.textContent('#detail-percent')).toBe('100%');
    const duration = await page.waitForFunction(() => {
      const v = document.querySelector('video');
      return v && v.readyState >= 1 && Number.isFinite(v.duration) ? v.duration : null;
    }, undefined, { timeout: 15_000 });
    expect(Math.abs(Number(await duration.jsonValue()) - 2)).toBeLessThanOrEqual(0.2);
    expect(await page.textContent('#log')).toContain('Video generation completed');
    expect(await page.locator('#jobs tr').count()).toBeGreaterThan(0);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('cancels a running job from the page', async () => {
    const slow = await startTestService({ procedural: { simulated_latency_seconds: 30 } });
    try {
      const page = await browser.newPage();
      await page.goto(slow.url);
      await page.fill('#prompt', 'Waits a long time.');
      await page.click('#submit');
      await page.waitForFunction(() => ['started', 'progress'].includes(document.querySelector('#detail-status')?.textContent ?? ''), undefined, { timeout: 15_000 });
      await page.click('#detail-cancel');
      await page.waitForSelector('#detail-status.canceled', { timeout: 15_000 });
    } finally {
      await slow.close();
    }
  });
});
