/**
 * Starts the production-like stack (scripts/stack/topology.ts): the Temporal server on the local PostgreSQL, the
 * namespace and search attributes, the Web UI, then Aftercare's workers and API processes. Used by
 * `npm run stack:prod` (index.ts) and by the drills (scripts/drill), which kill and restart its processes.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../../src/logger';
import { promoteBuild } from '../../src/temporal/versioning';
import { localBuildId } from '../../src/temporal/workflow-build';
import { apiProcess, freePort, stackSecrets, workerProcess } from './aftercare';
import { ensureStackBinaries } from './binaries';
import { LOCAL_POSTGRES, setUpDatabases } from './postgres';
import type { ManagedProcess } from './process';
import { allServerPorts, portFree, registerNamespace, temporalServerProcess } from './temporal';
import type { Stack, StackOptions } from './types';
import { uiServerProcess } from './ui';

export const TASK_QUEUE = 'aftercare';

export async function startStack(
  opts: StackOptions & { cacheDir: string; log: Logger; baseEnv: Record<string, string | undefined> },
): Promise<Stack> {
  const logDir = path.join(opts.stateDir, 'logs');
  const echo = opts.echo ?? false;
  // A port taken (npm start's dev server on 7233, another stack) would make a half stack talk to someone else's server.
  const wanted = [
    ...allServerPorts(opts.frontendPort),
    opts.uiPort,
    ...opts.apiPorts,
    ...(opts.workerMetricsPorts ?? []),
  ];
  const taken = (await Promise.all(wanted.map(async (p) => ((await portFree(p)) ? undefined : p)))).filter(Boolean);
  if (taken.length > 0) {
    throw new Error(
      `port ${taken.join(', ')} in use on 127.0.0.1: stop what listens there (npm start's dev server uses 7233), then start again`,
    );
  }
  const binaries = await ensureStackBinaries({ cacheDir: opts.cacheDir, env: opts.baseEnv, log: opts.log });
  const started = Date.now();
  await setUpDatabases({
    sqlTool: binaries.sqlTool,
    pg: LOCAL_POSTGRES,
    databasePrefix: opts.databasePrefix,
    fresh: opts.fresh,
    env: opts.baseEnv,
  });
  opts.log.info({ ms: Date.now() - started, prefix: opts.databasePrefix }, 'databases ready');

  const all: ManagedProcess[] = [];
  const stopAll = async () => {
    // Aftercare first (workers drain), then the UI, then Temporal.
    for (const group of [
      all.filter((p) => p.name.startsWith('aftercare')),
      all.filter((p) => !p.name.startsWith('aftercare')),
    ]) {
      await Promise.all(group.map((p) => p.stop()));
    }
    for (const p of all) p.closeLog();
  };
  try {
    const temporalProcess = temporalServerProcess({
      binary: binaries.server,
      stateDir: opts.stateDir,
      pg: LOCAL_POSTGRES,
      databasePrefix: opts.databasePrefix,
      frontendPort: opts.frontendPort,
      env: opts.baseEnv,
      logDir,
      echo,
    });
    all.push(temporalProcess);
    await temporalProcess.start();
    const address = `127.0.0.1:${opts.frontendPort}`;
    await registerNamespace(address, opts.namespace, opts.log);

    const secrets = stackSecrets(opts.stateDir);
    const apiUrls = opts.apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const uiUrl = `http://localhost:${opts.uiPort}`;
    const ui = uiServerProcess({
      binary: binaries.ui,
      stateDir: opts.stateDir,
      frontendPort: opts.frontendPort,
      uiPort: opts.uiPort,
      namespace: opts.namespace,
      codecEndpoint: `http://localhost:${opts.apiPorts[0]}/codec`,
      env: opts.baseEnv,
      logDir,
      echo,
    });
    all.push(ui);

    const deploymentName = opts.deploymentName === undefined ? 'aftercare' : opts.deploymentName || undefined;
    // The id every worker of this checkout computes (a hash of the workflow bundle), given to them so all agree.
    const buildId = deploymentName ? await localBuildId(opts.env.AFTERCARE_BUILD_ID) : undefined;
    const env: Record<string, string | undefined> = {
      ...opts.baseEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: opts.namespace,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_UI_URL: uiUrl,
      AFTERCARE_PUBLIC_URL: 'https://aftercare.localhost',
      AFTERCARE_DATA_DIR: path.join(opts.stateDir, 'aftercare'),
      AFTERCARE_API_KEY: secrets.apiKey,
      AFTERCARE_SECRET: secrets.secret,
      AFTERCARE_OPERATOR_KEY: secrets.operatorKey,
      ...(deploymentName && buildId ? { AFTERCARE_DEPLOYMENT_NAME: deploymentName, AFTERCARE_BUILD_ID: buildId } : {}),
      ...opts.env,
    };
    const healthPorts = await Promise.all(
      Array.from({ length: opts.workers }, async (_, i) => opts.workerMetricsPorts?.[i] ?? (await freePort())),
    );
    const workers = healthPorts.map((healthPort, i) =>
      workerProcess({ name: `aftercare-worker-${i + 1}`, healthPort, env, logDir, echo }),
    );
    const apis = opts.apiPorts.map((port, i) =>
      apiProcess({ name: `aftercare-api-${i + 1}`, port, env, logDir, echo }),
    );
    all.push(...workers, ...apis);
    await Promise.all([ui.start(), ...workers.map((w) => w.start())]);
    // New workflows reach a versioned worker once its build is current: compose's aftercare-promote does the same.
    if (deploymentName && buildId) await promote(address, opts.namespace, deploymentName, buildId, opts.log);
    await Promise.all(apis.map((a) => a.start()));
    return {
      temporalAddress: address,
      namespace: opts.namespace,
      taskQueue: TASK_QUEUE,
      buildId,
      uiUrl,
      apiUrls,
      apiKey: secrets.apiKey,
      operatorKey: secrets.operatorKey,
      secret: secrets.secret,
      publicUrl: env.AFTERCARE_PUBLIC_URL!,
      logDir,
      temporal: temporalProcess,
      ui,
      workers,
      apis,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function promote(address: string, namespace: string, deploymentName: string, buildId: string, log: Logger) {
  const connection = await Connection.connect({ address });
  try {
    const { previousBuildId } = await promoteBuild(connection, namespace, deploymentName, buildId, {
      timeoutMs: 120_000,
    });
    log.info({ deploymentName, buildId, previousBuildId: previousBuildId ?? null }, 'build promoted to current');
  } finally {
    await connection.close();
  }
}
