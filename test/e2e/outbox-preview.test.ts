import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { FileOutbox } from '../../src/channels/outbox';
import { AftercareClient } from '../../src/client';
import { createLogger } from '../../src/logger';
import { loadPlaybook } from '../../src/playbook/load';
import { CHROMIUM_EXECUTABLE } from '../support/browser';

/**
 * The business previews an order from the dev outbox page in a real browser (headless Chromium, the page's own
 * CSP): the form posts to /v1/preview with the API key typed in, and the list shows. Nothing reaches Temporal:
 * its client here fails on any use.
 */
const API_KEY = 'outbox-preview-key-0123456789';
const unreachable = new Proxy({} as Client, {
  get: () => {
    throw new Error('the request reached Temporal');
  },
});

let app: FastifyInstance;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  const playbook = loadPlaybook(path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml'));
  app = await buildApp({
    aftercare: new AftercareClient({ client: unreachable, playbook, keys: { contacts: 'outbox-preview-contacts' } }),
    apiKey: API_KEY,
    logger: createLogger('silent'),
    temporalHealth: async () => {},
    outbox: new FileOutbox(mkdtempSync(path.join(os.tmpdir(), 'aftercare-outbox-preview-'))),
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM_EXECUTABLE });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the preview form on the dev outbox page', () => {
  it('lists the messages of an order typed into the form, and says what is wrong with the key', async () => {
    const page = await browser!.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') blocked.push(m.text());
    });
    await page.goto(`${base}/outbox`);
    await page.click('#preview-panel summary');
    await page.fill('input[name=key]', 'not-the-key');
    await page.click('#preview-form button');
    await expect.poll(() => page.textContent('#preview-result')).toContain('401');

    await page.fill('input[name=key]', API_KEY);
    await page.fill('input[name=timeZone]', 'Europe/London');
    await page.fill('input[name=warranty]', '24');
    await page.selectOption('select[name=rating]', '2');
    await page.click('#preview-form button');
    await page.waitForSelector('#preview-result table');
    const rows = await page.$$eval('#preview-result tr', (trs) =>
      trs
        .slice(1)
        .map((tr) =>
          Array.from(tr.querySelectorAll('td'), (td: { textContent: string | null }) => td.textContent ?? ''),
        ),
    );
    const kinds = rows.map((r) => r[2]);
    expect(kinds.slice(0, 2)).toEqual(['order_status', 'order_status']);
    expect(kinds).toEqual(
      expect.arrayContaining(['thank_you', 'survey', 'care_followup', 'operator_alert', 'warranty_checkin']),
    );
    expect(rows.find((r) => r[2] === 'care_followup')![4]).toBe('We are sorry, Ada');
    expect(rows.find((r) => r[2] === 'operator_alert')![5]).toContain('to the business');
    expect(await page.textContent('#preview-result')).toContain('Assumed:');
    // The open form keeps the page from reloading, and the page's CSP let its script run and nothing else.
    expect(blocked).toEqual([expect.stringContaining('401')]);
    await page.close();
  });
});
