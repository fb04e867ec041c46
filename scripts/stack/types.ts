/** What a started stack offers to `npm run stack:prod` and to the drills (scripts/drill). */

export interface StackOptions {
  /** Config files, logs and Aftercare's data directory live here (outside the repo's tracked files). */
  stateDir: string;
  /** Prefix of the two PostgreSQL databases (`<prefix>`, `<prefix>_visibility`). */
  databasePrefix: string;
  /** Drop and recreate both databases first (the drills start clean; stack:prod keeps its data). */
  fresh: boolean;
  frontendPort: number;
  uiPort: number;
  /** One API process per port. */
  apiPorts: number[];
  workers: number;
  /** Each worker's own /health and /metrics port (AFTERCARE_WORKER_METRICS_PORT), as compose gives them; default: free ports. */
  workerMetricsPorts?: number[];
  namespace: string;
  /**
   * Worker Versioning's deployment name (AFTERCARE_DEPLOYMENT_NAME), 'aftercare' by default as in compose: the
   * workers poll as this checkout's build, which the stack then makes current. `false`: unversioned workers.
   */
  deploymentName?: string | false;
  /**
   * Environment for every Aftercare process on top of what the stack sets itself (TEMPORAL_ADDRESS, keys,
   * data dir, ports): providers' keys and base URLs, the playbook, send rates.
   */
  env: Record<string, string>;
  /** Where each process's output goes: `<stateDir>/logs/<name>.log` always; echoed too when true. */
  echo?: boolean;
}

/** One process of the stack that a drill may kill and bring back. */
export interface StackProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends the signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same command and environment; resolves once it is ready (port open, worker polling). */
  start(): Promise<void>;
}

export interface Stack {
  temporalAddress: string;
  namespace: string;
  /** The task queue the workers poll. */
  taskQueue: string;
  /** The build the workers poll as and the stack made current (undefined: unversioned). */
  buildId: string | undefined;
  uiUrl: string;
  /** One per API process, e.g. http://127.0.0.1:3000. */
  apiUrls: string[];
  apiKey: string;
  operatorKey: string;
  /** AFTERCARE_PUBLIC_URL of every process (links in messages; Twilio signs inbound webhooks over it). */
  publicUrl: string;
  /** `<stateDir>/logs`: one file per process. */
  logDir: string;
  /** AFTERCARE_SECRET of every process (contact keys, links, payload encryption derive from it). */
  secret: string;
  temporal: StackProcess;
  ui: StackProcess;
  workers: StackProcess[];
  apis: StackProcess[];
  /** Stops every process (Aftercare first, then the UI and Temporal); the databases stay. */
  stop(): Promise<void>;
}
