import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server';
import { DESKTOP_VIEWPORT, launchHeadlessChromium } from '../support/browser';
import { FAST_PLAYBOOK, sampleOrder, uniqueId } from '../support/harness';
import { postOrder } from '../support/order-api';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-ui-codec-'));
const API_KEY = 'e2e-key-0123456789abcdef';
const TIMEOUT = 60_000;

let app: SpawnedApp | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await stopAll([app]);
});

/** `npm start` as a user runs it (its own dev server with the UI), on free ports; resolves with the API's URL. */
async function startApp(ports: { temporal: number; ui: number }): Promise<string> {
  app = await spawnApp({
    LOG_LEVEL: 'warn',
    AFTERCARE_DATA_DIR: path.join(dir, 'data'),
    AFTERCARE_PORT: '0',
    AFTERCARE_API_KEY: API_KEY,
    AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
  });
  return app.api;
}

describe('the Temporal UI of npm start', () => {
  it('shows a journey’s customer data decrypted, through the API’s codec endpoint', async () => {
    const ports = { temporal: await freePort(), ui: await freePort() };
    const api = await startApp(ports);
    const email = `${uniqueId('ui').replace(/[^a-z0-9]/gi, '')}@private.example`;
    const order = sampleOrder({}, { email });
    const created = await postOrder(api, API_KEY, order);
    expect(created.status).toBe(201);

    browser = await launchHeadlessChromium({ skipFirstRunAndSync: true });
    const page = await browser.newPage({ viewport: DESKTOP_VIEWPORT });
    const decodeCalls: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/codec/decode')) decodeCalls.push(`${response.status()} ${response.url()}`);
    });
    const shots: string[] = [];
    const shoot = async (name: string) => {
      const file = path.join(dir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
      console.log(`screenshot: ${file}`);
    };

    try {
      await page.goto(`http://localhost:${ports.ui}/namespaces/default/workflows/order-${order.orderId}`, {
        timeout: TIMEOUT,
      });
      await page.getByText(email).first().waitFor({ timeout: TIMEOUT });
      await shoot('journey-decoded');
    } catch (err) {
      await shoot('journey-failed').catch(() => undefined);
      throw new Error(`${(err as Error).message}\ncodec calls: ${decodeCalls.join(', ') || 'none'}`);
    }
    // The page got it from the codec endpoint, not from Temporal (which stores it encrypted).
    expect(decodeCalls.some((c) => c.startsWith('200 ') && c.includes(`${new URL(api).port}/codec/decode`))).toBe(true);
  }, 240_000);
});
