/**
 * Headless Chromium for the end-to-end tests that look at a page as a person would (the Temporal UI, the
 * preferences page). playwright-core brings no browser of its own: the machine's Chromium is used.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_EXECUTABLE = '/usr/bin/chromium';

/** A desktop window wide enough for the Temporal UI's workflow pages. */
export const DESKTOP_VIEWPORT = { width: 1400, height: 1000 };

/** No sandbox (Chromium refuses to run as root with one), no GPU, and no background traffic of Chromium's own. */
const HEADLESS_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-gpu',
];

export interface HeadlessChromiumOptions {
  /** Also --no-first-run and --disable-sync (the Temporal UI codec tests launch it so). */
  skipFirstRunAndSync?: boolean;
}

export function launchHeadlessChromium(options: HeadlessChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_EXECUTABLE,
    args: options.skipFirstRunAndSync ? [...HEADLESS_ARGS, '--no-first-run', '--disable-sync'] : HEADLESS_ARGS,
  });
}
