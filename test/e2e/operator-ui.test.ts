import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runOps } from '../../src/ops/cli';
import { listQueries, listUrl } from '../../src/ops/list-links';
import { freePort } from '../../src/temporal/dev-server';
import { resendFailures, startFakeResend, type FakeResend } from '../fakes/resend-server';
import { DESKTOP_VIEWPORT, launchHeadlessChromium } from '../support/browser';
import { eventually, FAST_PLAYBOOK, sampleOrder } from '../support/harness';
import { postOrder } from '../support/order-api';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

/** Screenshots stay here after the run (the test prints their paths). */
const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-operator-ui-'));
const API_KEY = 'e2e-key-0123456789abcdef';
const TIMEOUT = 60_000;

let app: SpawnedApp | undefined;
let browser: Browser | undefined;
let resend: FakeResend | undefined;

afterAll(async () => {
  await browser?.close();
  await stopAll([app]);
  await resend?.close();
});

describe('an operator in the Temporal UI of npm start', () => {
  it('finds a journey stuck on a provider outage from the list link, reads why, and fixes it with one command', async () => {
    resend = await startFakeResend();
    resend.failNext(100_000, resendFailures.serverError());
    const playbookFile = path.join(dir, 'playbook.yaml');
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      playbookFile,
      YAML.stringify({ ...base, channels: ['email'], delivery: { giveUpAfter: '10 minutes', stuckAfter: '3s' } }),
    );
    const ports = { temporal: await freePort(), ui: await freePort() };
    const dataDir = path.join(dir, 'data');
    const env = {
      LOG_LEVEL: 'warn',
      AFTERCARE_DATA_DIR: dataDir,
      AFTERCARE_PORT: '0',
      AFTERCARE_API_KEY: API_KEY,
      AFTERCARE_PLAYBOOK: playbookFile,
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      RESEND_API_KEY: resend.apiKey,
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Test Shop <orders@test.example>',
    };
    app = await spawnApp(env);
    const uiBase = `http://localhost:${ports.ui}`;
    // The banner offers the ready-made lists.
    expect(app.output()).toContain(listUrl(uiBase, 'default', listQueries(new Date()).stuck!.query));

    const order = sampleOrder();
    const placedAt = Date.now();
    const created = await postOrder(app.api, API_KEY, order);
    expect(created.status).toBe(201);

    browser = await launchHeadlessChromium();
    const page = await browser.newPage({ viewport: DESKTOP_VIEWPORT });
    const shoot = async (p: Page, name: string) => {
      const file = path.join(dir, `${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      console.log(`screenshot: ${file}`);
    };
    const workflowId = `order-${order.orderId}`;
    const stuckList = listUrl(uiBase, 'default', listQueries(new Date()).stuck!.query);

    try {
      // The "stuck" list, reloaded as an operator would, until the journey shows (within a minute of the order).
      await eventually(
        async () => {
          await page.goto(stuckList, { timeout: TIMEOUT });
          await page.getByText(workflowId).first().waitFor({ timeout: 5_000 });
        },
        { timeoutMs: 60_000, intervalMs: 1000 },
      );
      const foundAfterMs = Date.now() - placedAt;
      console.log(`found in the stuck list ${foundAfterMs} ms after the order`);
      expect(foundAfterMs).toBeLessThan(60_000);
      await shoot(page, '1-stuck-list');

      // Its page says why, what to do, and what each activity and timer is for.
      await page.goto(`${uiBase}/namespaces/default/workflows/${workflowId}`, { timeout: TIMEOUT });
      // The timeline names each send by its summary.
      await page.getByText('order_status via email (status-placed)').first().waitFor({ timeout: TIMEOUT });
      await shoot(page, '2-journey-timeline');
      // The current details lead with what it waits for, then why it is stuck and what to do.
      await page.getByText('User Metadata', { exact: true }).first().click();
      // The UI renders the details' markdown in a sandboxed frame.
      await eventually(
        async () => {
          const texts = await Promise.all(
            page.frames().map((f) =>
              f
                .locator('body')
                .innerText()
                .catch(() => ''),
            ),
          );
          const details = texts.find((t) => t.includes('Waiting for'));
          expect(details).toMatch(/Stuck \(delivery-failing\) since/);
          expect(details).toContain(`npm run ops -- retry ${order.orderId}`);
        },
        { timeoutMs: TIMEOUT, intervalMs: 500 },
      );
      await shoot(page, '3-journey-details');
      await page.getByText('Search Attributes', { exact: true }).first().click();
      await eventually(
        async () => expect(await page.locator('body').innerText()).toMatch(/"AftercareStuck": "delivery-failing"/),
        { timeoutMs: TIMEOUT, intervalMs: 500 },
      );
      await shoot(page, '4-journey-search-attributes');
    } catch (err) {
      await shoot(page, 'failed').catch(() => undefined);
      throw err;
    }

    // The provider recovers; one command fixes it.
    resend.reset();
    const lines: string[] = [];
    const code = await runOps(['retry', order.orderId, '--reason', 'Resend is back'], (l) => lines.push(l), {
      ...env,
      TEMPORAL_UI_URL: uiBase,
    });
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/tried again now/);
    await eventually(async () =>
      expect(resend!.sent.filter((e) => e.idempotencyKey?.startsWith(`${workflowId}/`))).toHaveLength(1),
    );
    await eventually(
      async () => {
        await page.goto(stuckList, { timeout: TIMEOUT });
        await page.getByText('0 Workflows', { exact: true }).first().waitFor({ timeout: 5_000 });
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    await shoot(page, '5-stuck-list-empty');
    // Exactly one message reached the provider, however many attempts failed before.
    expect(resend.sent.filter((e) => e.idempotencyKey?.startsWith(`${workflowId}/`))).toHaveLength(1);
  }, 300_000);
});
