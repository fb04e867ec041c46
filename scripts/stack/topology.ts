/**
 * The production-like topology in one place: what `npm run stack:prod` starts on this machine and what
 * `docker-compose.yml` runs in containers, one to one. docs/deployment.md shows the mapping and
 * test/unit/stack-sync.test.ts keeps the three in agreement (versions, search attributes, environment).
 */

/**
 * Newest go.temporal.io/server release whose `go` line this machine's Go (1.26.8) satisfies: v1.32.2,
 * v1.31.5 and v1.30.9 need 1.26.10. The server binary and the SQL schema tool come from this module.
 */
export const TEMPORAL_SERVER_VERSION = '1.32.1';
/** Newest github.com/temporalio/ui-server/v2 release whose `go` line (1.26.5) this Go satisfies. */
export const TEMPORAL_UI_VERSION = '2.55.0';

export const SERVER_MODULE = 'go.temporal.io/server';
export const UI_MODULE = 'github.com/temporalio/ui-server/v2';

/** The SQL plugin for PostgreSQL 12 and later, as the schema tool and the server name it. */
export const SQL_PLUGIN = 'postgres12';

/** One process of the topology: its docker-compose.yml service and its stack:prod counterpart. */
export interface StackService {
  /** The service's name in docker-compose.yml. */
  compose: string;
  /** What runs it under `npm run stack:prod`. */
  local: string;
  role: string;
}

export const SERVICES: readonly StackService[] = [
  { compose: 'postgresql', local: "this machine's PostgreSQL", role: 'Temporal persistence and visibility' },
  {
    compose: 'temporal-admin-tools',
    local: `temporal-sql-tool ${TEMPORAL_SERVER_VERSION} (cmd/tools/sql)`,
    role: 'one-shot: creates and migrates the two databases',
  },
  {
    compose: 'temporal',
    local: `temporal-server ${TEMPORAL_SERVER_VERSION} (cmd/server)`,
    role: 'Temporal server, dynamic config from deploy/temporal/dynamicconfig/development-sql.yaml',
  },
  {
    compose: 'temporal-create-namespace',
    local: 'the namespace and search attributes, registered through the API',
    role: 'one-shot: namespace and search attributes',
  },
  {
    compose: 'temporal-ui',
    local: `temporal-ui-server ${TEMPORAL_UI_VERSION}`,
    role: "Temporal Web UI, decoding payloads through the API's codec endpoint",
  },
  { compose: 'aftercare-worker-1', local: 'npm run worker', role: 'Temporal worker (src/worker.ts)' },
  { compose: 'aftercare-worker-2', local: 'npm run worker', role: 'Temporal worker (src/worker.ts)' },
  { compose: 'aftercare-api-1', local: 'npm run api', role: 'HTTP API (src/server.ts)' },
  { compose: 'aftercare-api-2', local: 'npm run api', role: 'HTTP API (src/server.ts)' },
  {
    compose: 'aftercare-promote',
    local: 'promoteBuild once the workers poll (= npm run ops -- promote)',
    role: "one-shot: makes this build the Worker Deployment's current one",
  },
];

/** Ports of the stack on this machine; compose publishes the same ones. */
export interface StackPorts {
  /** Temporal frontend gRPC. */
  frontend: number;
  /** Temporal Web UI. */
  ui: number;
  /** One per API process. */
  apis: number[];
}

export const DEFAULT_PORTS: StackPorts = { frontend: 7233, ui: 8080, apis: [3000, 3001] };

/**
 * The server's other listeners, derived from the frontend's port so a second stack (the drills) can run
 * beside the first: history, matching and the internal worker, each with its gRPC and membership port.
 */
export function serverPorts(frontend: number) {
  return {
    frontend: { grpc: frontend, membership: frontend + 100, http: frontend + 10 },
    history: { grpc: frontend + 1, membership: frontend + 101 },
    matching: { grpc: frontend + 2, membership: frontend + 102 },
    worker: { grpc: frontend + 6, membership: frontend + 106 },
  };
}

/** Databases on the local PostgreSQL: `<prefix>` for the default store, `<prefix>_visibility`. */
export function databaseNames(prefix: string) {
  return { store: prefix, visibility: `${prefix}_visibility` };
}

/**
 * The environment every Aftercare process gets under both stack:prod and compose (values differ; names
 * agree). The sync test checks compose's aftercare services carry each of them.
 */
export const AFTERCARE_PROCESS_ENV = [
  'NODE_ENV',
  'LOG_LEVEL',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_UI_URL',
  'AFTERCARE_PUBLIC_URL',
  'AFTERCARE_DATA_DIR',
  'AFTERCARE_API_KEY',
  'AFTERCARE_SECRET',
  'AFTERCARE_OPERATOR_KEY',
  'AFTERCARE_DEPLOYMENT_NAME',
  'AFTERCARE_BUILD_ID',
] as const;
