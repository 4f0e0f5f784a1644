// Debian's headless Chromium, driven by playwright-core, for the tests that need a real browser. A
// missing binary fails the test (CI must not skip it) and says which package to install.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Throws when Chromium is not installed: call first in a suite that needs it. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install the Debian package "chromium" (scripts/system-deps.sh test)`,
    );
  }
}

/** A headless Chromium with nothing of its own on the network (no QUIC, updates or sync); `extraArgs` after. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
