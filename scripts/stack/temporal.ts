/** The Temporal server process on the local PostgreSQL, and the one-shot namespace setup after it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
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

/** The server's static config: PostgreSQL for the default store and visibility, every service on loopback. */
export function serverConfig(pg: PostgresTarget, databasePrefix: string, frontendPort: number): string {
  const db = databaseNames(databasePrefix);
  const ports = serverPorts(frontendPort);
  const service = (p: { grpc: number; membership: number; http?: number }) =>
    `    rpc:\n      grpcPort: ${p.grpc}\n      membershipPort: ${p.membership}\n      bindOnLocalHost: true${p.http ? `\n      httpPort: ${p.http}` : ''}`;
  return `# Written by scripts/stack (npm run stack:prod); regenerated at every start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
${sqlStore(pg, db.store, 20)}
    postgres-visibility:
${sqlStore(pg, db.visibility, 4)}

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
  filepath: "${DYNAMIC_CONFIG}"
  pollInterval: "10s"
`;
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
    serverConfig(opts.pg, opts.databasePrefix, opts.frontendPort),
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
