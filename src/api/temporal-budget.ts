import {
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionLike,
  type ConnectionOptions,
} from '@temporalio/client';
import type { FastifyInstance } from 'fastify';

/**
 * How long one request may wait on Temporal, every call it makes together. Most routes wait for a journey's or a
 * lifecycle's workflow task (an update, a query): when the worker that had the workflow cached has just died, its
 * sticky queue hands the task to another worker only after 10 s (the SDK's stickyQueueScheduleToStartTimeout), then
 * the task runs. Measured: a stage update sent 0.5 s after a SIGKILL answered in 10.0 s. So 20 s: that wait and a
 * busy worker's task fit, and a caller still hears "retry" well before an HTTP client's or a proxy's own timeout.
 */
export const TEMPORAL_BUDGET_MS = 20_000;

/**
 * A new order waits for no worker (its lifecycle's answer has its own 5 s cap, src/gateway/lean-start.ts): while
 * Temporal is away, a shop's "new order" hears 503 after 10 s, not 20.
 */
export const START_BUDGET_MS = 10_000;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's own budget for Temporal calls (default TEMPORAL_BUDGET_MS): give the reason where it is set. */
    temporalBudgetMs?: number;
  }
}

/** The connection's deadline scope (`ConnectionLike.withDeadline`): every call made inside `fn` ends by `deadline`. */
export type WithDeadline = ConnectionLike['withDeadline'];

/**
 * Every request's Temporal calls share one deadline, so no request hangs on an unreachable or stalled Temporal: the
 * SDK's own retries (UNAVAILABLE while the server restarts) go on until the deadline, then the call fails with
 * DEADLINE_EXCEEDED, which the error handler answers 503 (temporal_unavailable).
 *
 * The deadline lives in the connection's call context (an AsyncLocalStorage), entered before the handler runs, the
 * way @fastify/request-context enters its store: the handler and everything it awaits carry it. preHandler, not
 * onRequest: the body is parsed by then, so the budget is the handler's alone.
 */
export function limitTemporalCalls(app: FastifyInstance, withDeadline: WithDeadline): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const budgetMs = request.routeOptions.config.temporalBudgetMs ?? TEMPORAL_BUDGET_MS;
    withDeadline(Date.now() + budgetMs, async () => done()).catch((err: unknown) => {
      // done() runs the handler; a throw there is Fastify's to answer, never ours to see. Logged if it ever is.
      request.log.error({ err }, 'temporal deadline scope failed');
    });
  });
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The SDK's own retry of UNAVAILABLE and the like (`makeGrpcRetryInterceptor(defaultGrpcRetryOptions())`, the
 * default of `Connection.connect`), made to stop at the call's deadline: the default waits out its backoff (up to
 * 5 s) even past the deadline, so a request with a 10 s budget could answer after 15. For the API's own connection
 * (`npm run api`); the worker's native connection retries in Rust, within about 10 s, and is left as it is.
 */
export function retryWithinDeadline(): GrpcInterceptor {
  const base = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline === undefined ? Infinity : Number(options.deadline);
    const left = () => deadline - Date.now();
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => left() > 0 && base.retryableDecider(attempt, status),
      delayFunction: (attempt, status) => Math.max(0, Math.min(base.delayFunction(attempt, status), left())),
    })(options, nextCall);
  };
}
