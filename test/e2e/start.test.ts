import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server';
import { eventually, FAST_PLAYBOOK, sampleOrder } from '../support/harness';
import { spawnApp, stopAll, type SpawnedApp } from '../support/spawn-app';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-start-'));
const running: SpawnedApp[] = [];

/** Runs `npm start`'s entry point as a user would, with its own data dir and free ports. */
async function start(ports: { temporal: number; ui: number }): Promise<SpawnedApp> {
  const app = await spawnApp({
    LOG_LEVEL: 'warn',
    AFTERCARE_DATA_DIR: dataDir,
    AFTERCARE_PORT: '0',
    // No key configured: development generates one into the data directory, as on a fresh clone.
    AFTERCARE_API_KEY: undefined,
    AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
  });
  running.push(app);
  return app;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

afterAll(async () => {
  await stopAll(running);
});

describe('npm start', () => {
  it('runs the whole stack, keeps journeys across a restart, and shuts down cleanly on Ctrl-C', async () => {
    const ports = { temporal: await freePort(), ui: await freePort() };
    const first = await start(ports);
    const out = first.output();
    expect(out).toContain(`Temporal UI    http://localhost:${ports.ui}`);
    expect(out).toMatch(/API docs\s+http:\/\/\S+\/docs/);
    expect(out).toMatch(/Dev outbox\s+http:\/\/\S+\/outbox/);
    // The generated key is in a file only its owner reads, never in the output (terminals and CI logs keep it).
    const keyFile = path.join(dataDir, 'dev-api-key');
    const apiKey = readFileSync(keyFile, 'utf8').trim();
    expect(apiKey).toMatch(/^dev_/);
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    expect(out).toContain(`API key        development key: KEY=$(cat ${keyFile})`);
    expect(out).not.toContain(apiKey);
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

    expect((await fetch(`${first.api}/health`)).status).toBe(200);
    expect((await fetch(`http://localhost:${ports.ui}/`)).status).toBe(200); // the embedded Web UI

    const order = sampleOrder();
    const created = await fetch(`${first.api}/v1/orders`, { method: 'POST', headers, body: JSON.stringify(order) });
    expect(created.status).toBe(201);
    for (const stage of ['shipped', 'delivered']) {
      const res = await fetch(`${first.api}/v1/orders/${order.orderId}/stage`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ stage }),
      });
      expect(res.status).toBe(200);
    }
    const outbox = await eventually(async () => {
      const records = (await (await fetch(`${first.api}/outbox.json`)).json()) as { messageKey: string }[];
      expect(records.map((r) => r.messageKey)).toContain('thank-you');
      return records;
    });
    expect(outbox.map((r) => r.messageKey).sort()).toEqual([
      'status-delivered',
      'status-placed',
      'status-shipped',
      'thank-you',
    ]);

    expect(await first.stop()).toBe(0);
    // Nothing orphaned: the dev server went down with it.
    expect(await portOpen(ports.temporal)).toBe(false);
    expect(await portOpen(ports.ui)).toBe(false);

    // State lives in the data directory: the finished journey is still there after a restart.
    const second = await start(ports);
    const journey = await eventually(async () => {
      const res = await fetch(`${second.api}/v1/orders/${order.orderId}`, { headers });
      expect(res.status).toBe(200);
      return (await res.json()) as { status: string; messages: unknown[] };
    });
    expect(journey.status).toBe('completed');
    expect(journey.messages).toHaveLength(4);
    expect(await second.stop()).toBe(0);
    expect(await portOpen(ports.temporal)).toBe(false);
  }, 240_000);
});
