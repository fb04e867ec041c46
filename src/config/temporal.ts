import { z } from 'zod';
import { optionalString, port } from './fields';

/** Temporal and its workers: the server, the task queue, the workers' cache and metrics, Worker Versioning. */
export const temporalEnv = {
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('aftercare'),
  /**
   * Workflows a worker keeps in memory; the rest sleep in Temporal and replay when they wake (a journey wakes as
   * fast evicted as cached: `npm run bench`). 500 fits the 512 MB heap `npm start` and the image give node.
   */
  AFTERCARE_WORKFLOW_CACHE: z.coerce.number().int().min(1).max(100_000).default(500),
  /**
   * Where the Temporal SDK's Prometheus endpoint binds, on 127.0.0.1 (/metrics serves it; 0: a free port). Only in
   * the processes that run a worker.
   */
  AFTERCARE_SDK_METRICS_PORT: port(0),
  /** The worker process's own /metrics listener (`npm run worker`, which has no API); unset: none. */
  AFTERCARE_WORKER_METRICS_PORT: optionalString.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(65535).optional(),
  ),
  /**
   * Worker Versioning (docs/workflow-versions.md): the Worker Deployment this worker belongs to. Set: the worker
   * registers as a version of it and the server routes workflows by version; unset: unversioned, as always.
   */
  AFTERCARE_DEPLOYMENT_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^(?!__)[^\s:.]{1,100}$/, 'use up to 100 characters without spaces, ":" or ".", not starting with "__"')
      .optional(),
  ),
  /**
   * The version (build) of this worker within AFTERCARE_DEPLOYMENT_NAME, e.g. the git commit from CI. Default: a
   * hash of the workflow bundle, so changed workflow code is a new build by itself.
   */
  AFTERCARE_BUILD_ID: optionalString.pipe(
    z
      .string()
      .regex(/^(?!__)\S{1,100}$/, 'use up to 100 characters without spaces, not starting with "__"')
      .optional(),
  ),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
};
