import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server';
import { eventually, FAST_PLAYBOOK, sampleOrder } from '../support/harness';

const root = path.resolve(__dirname, '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-start-'));
const API_KEY = 'e2e-key-0123456789abcdef';
const running: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  api: string;
  output: () => string;
}

/** Runs `npm start`'s entry point as a user would, with its own data dir and free ports. */
async function start(ports: { temporal: number; ui: number }): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    AFTERCARE_DATA_DIR: dataDir,
    AFTERCARE_PORT: '0',
    AFTERCARE_API_KEY: API_KEY,
    AFTERCARE_PLAYBOOK: FAST_PLAYBOOK,
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
  };
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const api = await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      const match = /API\s+(http:\/\/\S+)/.exec(out);
      if (!match) throw new Error(`no API line yet:\n${out}`);
      return match[1]!;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  return { child, api, output: () => out };
}

async function stop(s: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGINT');
  return exited;
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

afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('npm start', () => {
  it('runs the whole stack, keeps journeys across a restart, and shuts down cleanly on Ctrl-C', async () => {
    const ports = { temporal: await freePort(), ui: await freePort() };
    const first = await start(ports);
    const out = first.output();
    expect(out).toContain(`Temporal UI    http://localhost:${ports.ui}`);
    expect(out).toMatch(/API docs\s+http:\/\/\S+\/docs/);
    expect(out).toMatch(/Dev outbox\s+http:\/\/\S+\/outbox/);
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

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

    expect(await stop(first)).toBe(0);
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
    expect(await stop(second)).toBe(0);
    expect(await portOpen(ports.temporal)).toBe(false);
  }, 240_000);
});
