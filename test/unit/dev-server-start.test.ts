import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { freePort, startDevServer } from '../../src/temporal/dev-server';

/** A stand-in for the Temporal CLI that fails the way the real one does at startup, and counts its starts. */
function failingCli(message: string): { cliPath: string; starts: () => number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aftercare-fake-cli-'));
  const counter = path.join(dir, 'starts');
  writeFileSync(counter, '');
  const said = path.join(dir, 'said');
  writeFileSync(said, `time=2026-12-06T03:31:26 level=ERROR msg="${message}"\n`);
  const cliPath = path.join(dir, 'temporal');
  writeFileSync(cliPath, `#!/bin/sh\necho x >> '${counter}'\ncat '${said}' >&2\nexit 1\n`);
  chmodSync(cliPath, 0o755);
  return { cliPath, starts: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

async function start(cliPath: string) {
  return startDevServer({
    port: await freePort(),
    uiPort: null,
    namespace: 'default',
    dbFile: undefined,
    cliPath,
    cacheDir: os.tmpdir(),
    env: process.env,
    allowBuild: false,
    log: createLogger('silent'),
  });
}

describe('starting the dev server', () => {
  it('says why it could not start (what the server wrote), not just its exit code', async () => {
    const cli = failingCli('unable to load dynamic config: bad value');
    await expect(start(cli.cliPath)).rejects.toThrow(/exited with 1:\n.*unable to load dynamic config: bad value/);
    expect(cli.starts()).toBe(1);
  });

  it('starts again when it lost a race for one of the ports it picks itself, and gives up after three tries', async () => {
    const cli = failingCli("can't set membership port 40123: listen tcp 127.0.0.1:40123: bind: address already in use");
    await expect(start(cli.cliPath)).rejects.toThrow(/address already in use/);
    expect(cli.starts()).toBe(3);
  });
});
