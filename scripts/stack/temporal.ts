/** The Temporal server process on the local PostgreSQL, and the one-shot namespace setup after it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { Logger } from '../../src/logger';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { ManagedProcess, until } from './process';
import { databaseNames, serverPorts, SQL_PLUGIN } from './topology';
import type { PostgresTarget } from './postgres';

/** The dynamic config docker-compose.yml mounts: one file, so the two stacks run the same server settings. */
export const DYNAMIC_CONFIG = path.resolve(
  __dirname,
  '..',
  '..',
  'deploy',
  'temporal',
  'dynamicconfig',
  'development-sql.yaml',
);

function sqlStore(pg: PostgresTarget, databaseName: string, maxConns: number): string {
  return `      sql:
        pluginName: "${SQL_PLUGIN}"
        databaseName: "${databaseName}"
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: "tcp"
        user: "${pg.user}"
        password: "${pg.password}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

/** Where the server keeps its state: the stack's PostgreSQL databases, or SQLite in memory (a test's own server). */
export type ServerStore = { kind: 'postgres'; pg: PostgresTarget; databasePrefix: string } | { kind: 'sqlite-memory' };

function sqliteStore(name: string): string {
  return `      sql:
        pluginName: "sqlite"
        databaseName: "${name}"
        connectAddr: "localhost"
        connectProtocol: "tcp"
        connectAttributes: { mode: "memory", cache: "private" }
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: "1h"`;
}

function datastores(store: ServerStore): string {
  if (store.kind === 'sqlite-memory') {
    return `  numHistoryShards: 1
  datastores:
    default:
${sqliteStore('sqlite-default')}
    visibility:
${sqliteStore('sqlite-visibility')}`;
  }
  const db = databaseNames(store.databasePrefix);
  return `  numHistoryShards: 4
  datastores:
    default:
${sqlStore(store.pg, db.store, 20)}
    visibility:
${sqlStore(store.pg, db.visibility, 4)}`;
}

/** The server's static config: its store for persistence and visibility, every service on loopback. */
export function serverConfig(store: ServerStore, frontendPort: number, dynamicConfig = DYNAMIC_CONFIG): string {
  const ports = serverPorts(frontendPort);
  const service = (p: { grpc: number; membership: number; http?: number }) =>
    `    rpc:\n      grpcPort: ${p.grpc}\n      membershipPort: ${p.membership}\n      bindOnLocalHost: true${p.http ? `\n      httpPort: ${p.http}` : ''}`;
  return `# Written by scripts/stack; regenerated at every start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: default
  visibilityStore: visibility
${datastores(store)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:
${service(ports.frontend)}
  history:
${service(ports.history)}
  matching:
${service(ports.matching)}
  worker:
${service(ports.worker)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${frontendPort}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${dynamicConfig}"
  pollInterval: "10s"
`;
}

/** gRPC status of a namespace that exists already (a second start on the same databases). */
const GRPC_ALREADY_EXISTS = 6;

/**
 * What docker-compose.yml's temporal-create-namespace does, through the API: the namespace (closed workflows kept
 * `retention`; compose: TEMPORAL_NAMESPACE_RETENTION) and Aftercare's search attributes. Idempotent.
 */
export async function registerNamespace(
  address: string,
  namespace: string,
  log: Logger,
  retention: Duration = '72h',
): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(retention),
      });
      log.info({ namespace }, 'namespace registered');
    } catch (err) {
      if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
    }
    await ensureSearchAttributes(connection, namespace, log);
  } finally {
    await connection.close();
  }
}

export function temporalServerProcess(opts: {
  binary: string;
  stateDir: string;
  pg: PostgresTarget;
  databasePrefix: string;
  frontendPort: number;
  env: Record<string, string | undefined>;
  logDir: string;
  echo: boolean;
}): ManagedProcess {
  const root = path.join(opts.stateDir, 'temporal');
  mkdirSync(path.join(root, 'config'), { recursive: true });
  writeFileSync(
    path.join(root, 'config', 'aftercare.yaml'),
    serverConfig({ kind: 'postgres', pg: opts.pg, databasePrefix: opts.databasePrefix }, opts.frontendPort),
  );
  const address = `127.0.0.1:${opts.frontendPort}`;
  return new ManagedProcess({
    name: 'temporal',
    command: opts.binary,
    args: ['--root', root, '--config', 'config', '--env', 'aftercare', '--allow-no-auth', 'start'],
    cwd: root,
    env: opts.env,
    logDir: opts.logDir,
    echo: opts.echo,
    readyTimeoutMs: 120_000,
    ready: async (_output, alive) => {
      await until(() => portOpen(opts.frontendPort), alive);
      // The port opens before the frontend serves; a system-info call answers once it does.
      await until(
        async () => {
          const connection = await Connection.connect({ address, connectTimeout: 2_000 });
          try {
            await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
            return true;
          } finally {
            await connection.close();
          }
        },
        alive,
        500,
      );
    },
  });
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Every port the server listens on, for a frontend port. */
export function allServerPorts(frontendPort: number): number[] {
  const p = serverPorts(frontendPort);
  return [
    p.frontend.grpc,
    p.frontend.http,
    p.frontend.membership,
    p.history.grpc,
    p.history.membership,
    p.matching.grpc,
    p.matching.membership,
    p.worker.grpc,
    p.worker.membership,
  ];
}

/** Whether nothing listens on `port` (127.0.0.1) right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A frontend port for a second stack beside others (tests, drills) whose derived ports are all free. Below 32,000:
 * the server stores membership ports in a PostgreSQL smallint, so the ephemeral range (32768 and up) fails its start.
 */
export async function freeFrontendPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 17_000 + Math.floor(Math.random() * 15_000);
    const ports = serverPorts(base);
    const all = [
      ports.frontend.grpc,
      ports.frontend.http,
      ports.frontend.membership,
      ports.history.grpc,
      ports.history.membership,
      ports.matching.grpc,
      ports.matching.membership,
      ports.worker.grpc,
      ports.worker.membership,
    ];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free range of ports for a Temporal server between 17000 and 32100');
}
