/**
 * `npm run stack:prod`: Aftercare as it runs in production, on this machine: the full Temporal server on the local
 * PostgreSQL with the standalone Web UI, two worker processes and two API processes (docker-compose.yml's
 * topology, docs/deployment.md). Ctrl-C stops it; the databases and the keys stay for the next start.
 *
 *   npm run stack:prod               start (builds the Temporal server and UI once per machine)
 *   npm run stack:prod -- --fresh    drop both databases first
 *   npm run stack:prod -- --echo     also print every process's output here (always in .data/stack/logs)
 *   npm run stack:prod -- --install  only build (or find) the binaries, then exit (CI's install step)
 */
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ensureStackBinaries } from './binaries';
import { configuredChannels, startSandboxProviders, type SandboxProviders } from './sandbox';
import { startStack } from './stack';
import { DEFAULT_PORTS, TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './topology';

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const unknown = [...args].filter((a) => !['--fresh', '--echo', '--install'].includes(a));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(' ')} (use --fresh, --echo, --install)`);
  const config = loadConfig();
  const log = createLogger('info', { pretty: true, sync: true });
  if (args.has('--install')) {
    const binaries = await ensureStackBinaries({ cacheDir: config.system.cacheDir, env: config.system.childEnv, log });
    process.stdout.write(
      `Temporal server: ${binaries.server}\nSQL tool: ${binaries.sqlTool}\nUI server: ${binaries.ui}\n`,
    );
    return;
  }
  const stateDir = path.resolve(__dirname, '..', '..', '.data', 'stack');
  const baseEnv = config.system.childEnv;

  // A channel without a configured provider sends to a local sandbox; a configured one (RESEND_API_KEY, ...) is real.
  const configured = configuredChannels(baseEnv);
  const needSandbox = Object.values(configured).some((c) => !c);
  const sandbox: SandboxProviders | undefined = needSandbox ? await startSandboxProviders(stateDir) : undefined;
  const providerEnv = Object.fromEntries(
    Object.entries(sandbox?.env ?? {}).filter(([name]) => {
      const channel =
        name.startsWith('RESEND') || name === 'EMAIL_FROM'
          ? 'email'
          : name.startsWith('TWILIO')
            ? 'sms'
            : name.startsWith('TELEGRAM')
              ? 'telegram'
              : 'whatsapp';
      return !configured[channel];
    }),
  );

  const stack = await startStack({
    stateDir,
    databasePrefix: 'aftercare_temporal',
    fresh: args.has('--fresh'),
    frontendPort: DEFAULT_PORTS.frontend,
    uiPort: DEFAULT_PORTS.ui,
    apiPorts: DEFAULT_PORTS.apis,
    workers: 2,
    workerMetricsPorts: [9464, 9465],
    namespace: config.temporal.namespace,
    env: providerEnv,
    echo: args.has('--echo'),
    cacheDir: config.system.cacheDir,
    baseEnv,
    log,
  });

  const sandboxed = Object.entries(configured)
    .filter(([, real]) => !real)
    .map(([c]) => c);
  const secretsFile = path.join(stateDir, 'secrets.json');
  const lines = [
    '',
    '  Aftercare production-like stack is running (docs/deployment.md)',
    `  Temporal       ${TEMPORAL_SERVER_VERSION} at ${stack.temporalAddress}, PostgreSQL databases aftercare_temporal{,_visibility}`,
    `  Temporal UI    ${stack.uiUrl}  (${TEMPORAL_UI_VERSION}; to read payloads, sign in at ${stack.apiUrls[0]}/codec/session with the operator key)`,
    ...stack.apiUrls.map((u, i) => `  API ${i + 1}          ${u}  (docs: ${u}/docs)`),
    `  Build          ${stack.buildId ? `${stack.buildId}, current in Worker Deployment "aftercare" (docs/workflow-versions.md)` : 'unversioned'}`,
    `  Workers        ${stack.workers.map((w) => `${w.name} (pid ${w.pid})`).join(', ')}; /health and /metrics on 9464, 9465`,
    `  Keys           ${secretsFile}: KEY=$(node -p "require('${secretsFile}').apiKey")`,
    `  Providers      ${sandboxed.length > 0 ? `local sandbox for ${sandboxed.join(', ')} (nothing leaves this machine)` : 'as configured'}`,
    `  Logs           ${stack.logDir}`,
    '  Stop           Ctrl-C (databases and keys are kept; --fresh drops the databases)',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the stack...\n');
    await stack.stop();
    await sandbox?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // A process of the stack that dies on its own is worth a line: the drills kill them on purpose, people don't.
  setInterval(() => {
    for (const p of [stack.temporal, stack.ui, ...stack.workers, ...stack.apis]) {
      if (!p.running && !stopping) {
        log.error({ process: p.name }, `${p.name} stopped; see ${path.join(stack.logDir, `${p.name}.log`)}`);
        void stop();
      }
    }
  }, 2_000).unref();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
