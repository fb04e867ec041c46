import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { FileOutbox } from '../../src/channels/outbox';
import { freePort } from '../../src/temporal/dev-server';
import { launchHeadlessChromium } from '../support/browser';
import { eventually, FAST_PLAYBOOK, sampleOrder } from '../support/harness';
import { postOrder } from '../support/order-api';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

/**
 * A customer on a phone opens the preferences link from a real message of `npm start` (the dev outbox) in headless
 * Chromium, switches the page to Bengali, switches a topic off and pauses offers, saves, reads the confirmation in
 * Bengali, and the business's API shows the change.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-preferences-page-'));
const API_KEY = 'e2e-preferences-key-0123456789';

let app: SpawnedApp | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await stopAll([app]);
});

describe('the preferences page in a browser', () => {
  it('opens from a real message, switches to Bengali, saves a topic and a pause, and the customer shows them', async () => {
    const playbookFile = path.join(dir, 'playbook.yaml');
    const base = YAML.parse(readFileSync(FAST_PLAYBOOK, 'utf8')) as Record<string, unknown>;
    writeFileSync(playbookFile, YAML.stringify({ ...base, channels: ['email', 'sms'] }));
    const port = await freePort();
    const dataDir = path.join(dir, 'data');
    app = await spawnApp({
      LOG_LEVEL: 'warn',
      AFTERCARE_DATA_DIR: dataDir,
      AFTERCARE_PORT: String(port),
      AFTERCARE_API_KEY: API_KEY,
      AFTERCARE_PLAYBOOK: playbookFile,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
    });

    const order = sampleOrder({}, { phone: '+447700900777' });
    const created = await postOrder(app.api, API_KEY, order);
    expect(created.status).toBe(201);

    // The "Order received" email as the customer got it (the dev outbox), and the link at its foot.
    const outbox = new FileOutbox(path.join(dataDir, 'outbox'));
    const link = await eventually(
      async () => {
        const email = (await outbox.list(50)).find(
          (m) => m.workflowId === `order-${order.orderId}` && m.channel === 'email',
        );
        const url = /href="([^"]+\/preferences\/[^"]+)"/.exec(email?.html ?? '')?.[1];
        expect(url).toBeDefined();
        return url!.replace(/&amp;/g, '&');
      },
      { timeoutMs: 60_000 },
    );
    expect(link.startsWith(`http://localhost:${port}/preferences/`)).toBe(true);

    browser = await launchHeadlessChromium();
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(link);
    expect(await page.textContent('h1')).toBe('Your messages from Test Shop');
    // Mobile-first: nothing wider than the phone.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    await page.click('nav.langs a[lang=bn]');
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('bn');
    expect(await page.textContent('h1')).toBe('Test Shop থেকে আপনার বার্তা');
    expect(await page.isChecked('input[name=on][value=email]')).toBe(true);
    expect(await page.isChecked('input[name=on][value=sms]')).toBe(true);
    // Order news is on and cannot be switched off while the order is open.
    expect(await page.isDisabled('input[type=checkbox][disabled]')).toBe(true);

    await page.uncheck('input[name=topic][value=reviews]');
    await page.check('input[name=pause][value="30"]');
    await page.selectOption('select[name=locale]', 'bn');
    await page.selectOption('select[name=pos-sms]', '1');
    await page.selectOption('select[name=pos-email]', '2');
    await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:not(.secondary):not(.link)')]);
    expect(await page.textContent('h1')).toBe('সংরক্ষিত হয়েছে');
    const summary = (await page.textContent('ul.summary')) ?? '';
    expect(summary).toContain('রিভিউ ও জরিপ: বন্ধ');
    expect(summary).toContain('এসএমএস (চালু), ইমেইল (চালু)');
    expect(summary).toMatch(/পর্যন্ত অফার বন্ধ আছে/);
    const shot = path.join(dir, 'saved.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    // The page's CSP runs no script and loads nothing: the browser reported nothing blocked.
    expect(errors).toEqual([]);

    const customer = (await (
      await fetch(`${app.api}/v1/customers/${order.customer.id}`, { headers: { authorization: `Bearer ${API_KEY}` } })
    ).json()) as {
      profile: { locale?: string; preferredChannels?: string[] };
      consent: { preferences?: { topicsOff?: string[]; pausedUntil?: string }; marketingPaused?: unknown };
    };
    expect(customer.profile).toMatchObject({ locale: 'bn', preferredChannels: ['sms', 'email'] });
    expect(customer.consent.preferences?.topicsOff).toEqual(['reviews']);
    // The customer's own pause is theirs (an operator's would be consent.marketingPaused).
    expect(customer.consent.marketingPaused).toBeUndefined();
    const days = (Date.parse(customer.consent.preferences!.pausedUntil!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    await page.close();
  }, 240_000);
});
