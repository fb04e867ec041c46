import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { freePort } from '../../src/temporal/dev-server';
import { ensureStackBinaries } from '../../scripts/stack/binaries';
import { dropDatabases, LOCAL_POSTGRES } from '../../scripts/stack/postgres';
import { startSandboxProviders, type SandboxProviders } from '../../scripts/stack/sandbox';
import { startStack } from '../../scripts/stack/stack';
import { freeFrontendPort } from '../../scripts/stack/temporal';
import type { Stack } from '../../scripts/stack/types';
import { DESKTOP_VIEWPORT, launchHeadlessChromium } from '../support/browser';
import { FAST_PLAYBOOK, sampleOrder, uniqueId } from '../support/harness';
import { postOrder } from '../support/order-api';

const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-stack-'));
const prefix = `aftercare_e2e_${process.pid}`;
const TIMEOUT = 60_000;
// The test's own settings (NODE_ENV=test) are not a deployment's: only the cache and the child environment count here.
const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
const log = createLogger('warn');

let stack: Stack | undefined;
let sandbox: SandboxProviders | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await sandbox?.close();
  const binaries = await ensureStackBinaries({ cacheDir: config.system.cacheDir, env: config.system.childEnv, log });
  await dropDatabases({
    sqlTool: binaries.sqlTool,
    pg: LOCAL_POSTGRES,
    databasePrefix: prefix,
    env: config.system.childEnv,
  });
}, 120_000);

describe('the production-like stack (npm run stack:prod)', () => {
  it('runs a journey on the full Temporal server, and its UI shows it decrypted through the codec endpoint once the operator signs in', async () => {
    sandbox = await startSandboxProviders(dir);
    stack = await startStack({
      stateDir: dir,
      databasePrefix: prefix,
      fresh: true,
      frontendPort: await freeFrontendPort(),
      uiPort: await freePort(),
      apiPorts: [await freePort()],
      workers: 1,
      namespace: 'default',
      env: { ...sandbox.env, AFTERCARE_PLAYBOOK: FAST_PLAYBOOK, LOG_LEVEL: 'warn' },
      cacheDir: config.system.cacheDir,
      baseEnv: config.system.childEnv,
      log,
    });
    const api = stack.apiUrls[0]!.replace('127.0.0.1', 'localhost');
    const email = `${uniqueId('stack').replace(/[^a-z0-9]/gi, '')}@private.example`;
    const order = sampleOrder({}, { email });
    const created = await postOrder(api, stack.apiKey, order);
    expect(created.status).toBe(201);
    // Sent by a worker process through the real Resend adapter, over TLS to the sandbox.
    for (let i = 0; i < 150 && sandbox.resend.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(sandbox.resend.sent.map((m) => m.to).flat()).toContain(email);
    // Worker Versioning as compose runs it: the journey ran on this checkout's build, which the stack made current.
    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      const info = await connection.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId: `order-${order.orderId}` },
      });
      expect(stack.buildId).toMatch(/^bundle-[0-9a-f]{12}$/);
      expect(info.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId).toBe(stack.buildId);
    } finally {
      await connection.close();
    }

    browser = await launchHeadlessChromium({ skipFirstRunAndSync: true });
    const page = await browser.newPage({ viewport: DESKTOP_VIEWPORT });
    const decodeCalls: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/codec/decode')) decodeCalls.push(`${r.status()}`);
    });
    // Production: the codec answers only to the operator. Sign in as a person would.
    await page.goto(`${api}/codec/session`, { timeout: TIMEOUT });
    await page.locator('input[type="password"]').fill(stack.operatorKey);
    await page.locator('button[type="submit"], input[type="submit"]').first().click();
    await page.waitForLoadState('load');
    try {
      await page.goto(`${stack.uiUrl}/namespaces/default/workflows/order-${order.orderId}`, { timeout: TIMEOUT });
      await page.getByText(email).first().waitFor({ timeout: TIMEOUT });
    } catch (err) {
      const shot = path.join(dir, 'stack-ui-failed.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      throw new Error(
        `${(err as Error).message}\ncodec answers: ${decodeCalls.join(', ') || 'none'}; screenshot ${shot}`,
      );
    }
    expect(decodeCalls).toContain('200');
  }, 300_000);
});
