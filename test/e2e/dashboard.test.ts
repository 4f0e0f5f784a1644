/// <reference lib="dom" />
// The dashboard in a real headless Chromium (Debian's, driven by playwright-core): submit a prompt,
// watch it finish, play the video, cancel a running job, and the 401 path. Each state is checked for
// horizontal overflow and kept as a screenshot at a desktop and a phone width in test-results/.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startTestService, type TestService } from '../support/test-service.js';

const TOKEN = 'dashboard-token-123456';
const WIDTHS = [1280, 390] as const;
let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  requireChromium();
  svc = await startTestService({ security: { auth_token: TOKEN } });
  browser = await launchChromium();
  mkdirSync('test-results', { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: WIDTHS[0], height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Resource errors (a 401 before the token is entered) are shown in the page; what must not
  // happen is a script error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  return { page, errors };
}

/** At each width: no horizontal scroll, and a full-page screenshot. */
async function checkLayout(page: Page, state: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const size = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    await page.screenshot({ path: `test-results/dashboard-${state}-${width}.png`, fullPage: true });
    expect(size.scrollWidth, `page width in state "${state}" at ${width} px`).toBeLessThanOrEqual(size.innerWidth);
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 });
}

// A prompt with a long unbreakable word, like the URLs people paste.
const LONG_PROMPT = `A lantern glows at https://example.com/${'very-long-path-segment-'.repeat(12)}end. Moths circle it.`;

describe('dashboard', () => {
  it('on a 401 points at the Token field, and clears that once the token is right', async () => {
    const { page, errors } = await newPage();
    await page.goto(svc.url);
    await page.waitForSelector('#token-note:not([hidden])');
    expect(await page.textContent('#token-note')).toContain('Token field');
    expect(await page.textContent('#list-error')).toContain('Token field');
    expect(await page.getAttribute('#token', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    await checkLayout(page, '401');

    await page.fill('#token', 'not-the-token-000000');
    await page.dispatchEvent('#token', 'change');
    await page.waitForFunction(() => document.querySelector('#token-note')?.textContent?.includes('did not accept'));
    expect(await page.getAttribute('#token', 'aria-invalid')).toBe('true');

    await page.fill('#token', TOKEN);
    await page.dispatchEvent('#token', 'change');
    await page.waitForSelector('#token-note', { state: 'hidden' });
    expect(await page.getAttribute('#token', 'aria-invalid')).toBeNull();
    expect(await page.isVisible('#list-error')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('submits a prompt, follows the job live, plays the finished video', async () => {
    const { page, errors } = await newPage();
    await page.goto(svc.url);
    await page.fill('#token', TOKEN);
    await page.dispatchEvent('#token', 'change');
    await page.fill('#prompt', LONG_PROMPT);
    await page.click('#submit');
    await page.waitForSelector('#detail-status.finished', { timeout: 30_000 });
    expect(await page.textContent('#detail-percent')).toBe('100%');
    const duration = await page.waitForFunction(
      () => {
        const v = document.querySelector('video');
        return v && v.readyState >= 1 && Number.isFinite(v.duration) ? v.duration : null;
      },
      undefined,
      { timeout: 15_000 },
    );
    expect(Math.abs(Number(await duration.jsonValue()) - 2)).toBeLessThanOrEqual(0.2);
    expect(await page.isVisible('#player')).toBe(true);
    expect(await page.isVisible('#detail-download')).toBe(true);
    const log = await page.textContent('#log');
    expect(log).toContain('Video generation completed');
    expect(await page.locator('#jobs tr').count()).toBeGreaterThan(0);
    await checkLayout(page, 'finished');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks before canceling a running job; no player for a running or canceled job', async () => {
    const slow = await startTestService({ procedural: { simulated_latency_seconds: 30 } });
    try {
      const { page, errors } = await newPage();
      await page.goto(slow.url);
      await page.fill('#prompt', LONG_PROMPT);
      await page.click('#submit');
      await page.waitForFunction(
        () => ['started', 'progress'].includes(document.querySelector('#detail-status')?.textContent ?? ''),
        undefined,
        { timeout: 15_000 },
      );
      expect(await page.isVisible('#player')).toBe(false);
      expect(await page.isVisible('#detail-download')).toBe(false);
      await checkLayout(page, 'running');

      // The first click only asks; "Keep it" leaves the job running.
      await page.click('#detail-cancel');
      expect(await page.isVisible('#cancel-confirm')).toBe(true);
      expect(await page.isVisible('#detail-cancel')).toBe(false);
      await checkLayout(page, 'cancel-confirm');
      await page.click('#cancel-no');
      expect(await page.isVisible('#cancel-confirm')).toBe(false);
      const id = await page.textContent('#detail-id');
      const record = (await (await fetch(`${slow.url}/v1/jobs/${id}`)).json()) as { status: string };
      expect(['started', 'progress']).toContain(record.status);

      await page.click('#detail-cancel');
      await page.click('#cancel-yes');
      await page.waitForSelector('#detail-status.canceled', { timeout: 15_000 });
      expect(await page.isVisible('#player')).toBe(false);
      expect(await page.isVisible('#cancel-confirm')).toBe(false);
      expect(await page.isDisabled('#detail-cancel')).toBe(true);
      await checkLayout(page, 'canceled');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await slow.close();
    }
  });
});
