/**
 * `npm run drill`: starts the production-like stack (scripts/stack: Temporal server on PostgreSQL, two workers, two
 * API processes) with the fake providers on every channel, breaks it in each drill's way, and prints the figures.
 *
 *   npm run drill                          every drill, full size
 *   npm run drill -- --short               the CI subset: 3 kills, 20 orders, a shorter storm, fewer fuzz bodies
 *   npm run drill -- --only worker-kill,duplicates
 *   npm run drill -- --seed 12345          repeat a run's random choices
 *
 * The figures go to .data/drill/drill-figures.json too (docs/reliability.md quotes them). Exits non-zero when any
 * figure misses its line, naming which.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { deriveKeys } from '../../src/lib/keys';
import { createLogger } from '../../src/logger';
import { dataConverterFor } from '../../src/temporal/codec';
import { freePort } from '../../src/temporal/dev-server';
import { startStack } from '../stack/stack';
import { freeFrontendPort } from '../stack/temporal';
import { TEMPORAL_SERVER_VERSION } from '../stack/topology';
import { apiKillDrill, API_KILL } from './api-kill';
import { duplicateStormDrill, DUPLICATES } from './duplicates';
import { drillEnv, startFakes } from './env';
import { FUZZ_SHOP_ENV, fuzzDrill } from './fuzz';
import { printResult, printSummary } from './report';
import { providerStormDrill, STORM } from './storm';
import { temporalRestartDrill, TEMPORAL_RESTART } from './temporal-restart';
import type { Drill, DrillContext, DrillResult } from './types';
import { workerKillDrill, WORKER_KILL } from './worker-kill';

/**
 * In run order. The fuzz first, on a stack nothing else has loaded yet: it judges the API's answers to bad input, and
 * after the other drills their hundreds of journeys' follow-up timers saturate this 2-core machine (a full run with it
 * last answered 13 of 10,000 with a backpressure 503, docs/reliability.md). The Temporal restart last, since it
 * disturbs the server the others measure.
 */
const DRILLS: [string, Drill][] = [
  ['fuzz', fuzzDrill],
  [WORKER_KILL, workerKillDrill],
  [DUPLICATES, duplicateStormDrill],
  [API_KILL, apiKillDrill],
  [STORM, providerStormDrill],
  [TEMPORAL_RESTART, temporalRestartDrill],
];

function parseArgs(argv: string[]) {
  const opts = { short: false, only: undefined as string[] | undefined, seed: Date.now() % 2_147_483_647 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--short') opts.short = true;
    else if (arg === '--only') opts.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--seed') opts.seed = Number(argv[++i]);
    else throw new Error(`unknown option ${arg} (use --short, --only <name,...>, --seed <n>)`);
  }
  const names = DRILLS.map(([name]) => name);
  const unknown = (opts.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`unknown drill ${unknown.join(', ')} (drills: ${names.join(', ')})`);
  if (!Number.isInteger(opts.seed)) throw new Error('--seed takes an integer');
  return opts;
}

/**
 * One drill run at a time per checkout: runs share the state directory and the databases (a second run would drop
 * them under the first). A lock file names the run's pid; a lock whose process is gone is taken over.
 */
function holdRunLock(stateDir: string): void {
  const lock = path.join(stateDir, 'run.lock');
  mkdirSync(stateDir, { recursive: true });
  const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8')) : undefined;
  if (holder && holder !== process.pid && alive(holder)) {
    throw new Error(`another npm run drill (pid ${holder}) is using ${stateDir} and its databases: wait for it to end`);
  }
  writeFileSync(lock, String(process.pid));
  process.once('exit', () => {
    if (existsSync(lock) && readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  const log = createLogger('info', { pretty: true, sync: true });
  const stateDir = path.resolve(__dirname, '..', '..', '.data', 'drill');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`drill run: seed ${opts.seed}${opts.short ? ', short (CI subset)' : ''}; state and logs in ${stateDir}`);
  holdRunLock(stateDir);

  const fakes = await startFakes(stateDir);
  const stack = await startStack({
    stateDir,
    databasePrefix: 'aftercare_drill',
    fresh: true,
    frontendPort: await freeFrontendPort(),
    uiPort: await freePort(),
    apiPorts: [await freePort(), await freePort()],
    workers: 2,
    namespace: 'default',
    // The shops' webhook secrets too, so the fuzz drill reaches those routes.
    env: { ...drillEnv(stateDir, fakes), ...FUZZ_SHOP_ENV },
    cacheDir: config.system.cacheDir,
    baseEnv: config.system.childEnv,
    log,
  }).catch(async (err: unknown) => {
    await fakes.close();
    throw err;
  });
  // Ctrl-C or a timeout's SIGTERM: stop the stack's processes rather than leave them running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the stack`);
      void stack
        .stop()
        .then(() => fakes.close())
        .finally(() => process.exit(130));
    });
  }
  const stackMs = Date.now() - started;
  say(`stack up in ${(stackMs / 1000).toFixed(1)} s: Temporal ${TEMPORAL_SERVER_VERSION} at ${stack.temporalAddress}`);
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({
    connection,
    namespace: stack.namespace,
    dataConverter: dataConverterFor(deriveKeys(stack.secret).payloads),
  });

  const results: DrillResult[] = [];
  const runTag = Date.now().toString(36);
  try {
    for (const [index, [name, drill]] of DRILLS.entries()) {
      if (opts.only && !opts.only.includes(name)) continue;
      fakes.reset();
      const ctx: DrillContext = {
        stack,
        fakes,
        client,
        short: opts.short,
        seed: opts.seed + index,
        idPrefix: `${name}-${runTag}`,
        log: (line) => say(`  [${name}] ${line}`),
      };
      say(`\n▶ ${name}`);
      const drillStarted = Date.now();
      const result = await drill(ctx).catch((err: unknown): DrillResult => ({
        name,
        claim: '',
        figures: {},
        failures: [`the drill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`],
        wallMs: Date.now() - drillStarted,
      }));
      results.push(result);
      printResult(result, say);
    }
  } finally {
    await connection.close();
    await stack.stop();
    await fakes.close();
  }

  const totalMs = Date.now() - started;
  const figuresFile = path.join(stateDir, 'drill-figures.json');
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB`;
  writeFileSync(
    figuresFile,
    JSON.stringify(
      { date: new Date().toISOString(), machine, seed: opts.seed, short: opts.short, stackMs, totalMs, results },
      null,
      2,
    ),
  );
  printSummary(results, totalMs, say);
  say(`figures: ${figuresFile}`);
  const failed = results.filter((r) => r.failures.length > 0);
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
