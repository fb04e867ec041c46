import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { failureConverterPath } from '../../src/temporal/codec';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { workflowsPath } from '../../src/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
    /** The Temporal CLI serving the tests ('' when Temporal runs elsewhere or came from the SDK's download). */
    temporalCli: string;
  }
}

let server: DevServer | undefined;

/**
 * Provisions Temporal for the test run the same way `npm start` does (TEMPORAL_ADDRESS, or the
 * dev server from TEMPORAL_CLI_PATH / PATH / the cached build / go install / SDK download), and
 * bundles the workflows once for every test file.
 */
export async function setup(project: TestProject): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  const log = createLogger('info');
  let address = config.temporal.address;
  if (!address) {
    server = await startDevServer({
      port: 0,
      uiPort: null,
      namespace: config.temporal.namespace,
      dbFile: undefined,
      cliPath: config.temporal.cliPath,
      cacheDir: config.system.cacheDir,
      env: config.system.childEnv,
      allowBuild: true,
      log,
    });
    address = server.address;
    log.info({ source: server.source, binary: server.binary, address }, 'test Temporal dev server');
  }
  const connection = await Connection.connect({ address });
  await ensureSearchAttributes(connection, config.temporal.namespace, createLogger('warn'));
  await connection.close();

  // With the failure converter every worker's dataConverterFor() names: workflows' own failures are encoded too.
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') });
  const dir = path.resolve(__dirname, '..', '.tmp');
  mkdirSync(dir, { recursive: true });
  const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, code);

  project.provide('temporalAddress', address);
  project.provide('temporalNamespace', config.temporal.namespace);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalCli', server?.binary ?? '');
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
