import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/**
 * Errors that cross the client/API boundary. Each carries the HTTP status it means, so the API's
 * one error handler maps them without knowing where they came from.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export abstract class AftercareError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is well-formed JSON but breaks the contract (field path + what is wrong). */
export class ValidationError extends AftercareError {
  readonly status = 422;
  readonly code = 'validation_failed';
}

export class NotFoundError extends AftercareError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The request conflicts with the journey's current state (duplicate with other content, stage order). */
export class ConflictError extends AftercareError {
  readonly status = 409;
  readonly code: string;
  constructor(message: string, code = 'conflict') {
    super(message);
    this.code = code;
  }
}

/** Valid shape, but a value the journey cannot accept (a stage its playbook does not have). */
export class UnprocessableError extends AftercareError {
  readonly status = 422;
  readonly code: string;
  constructor(message: string, code = 'unprocessable') {
    super(message);
    this.code = code;
  }
}

/** How long a caller should wait before retrying a request Temporal did not answer (the Retry-After header). */
export const TEMPORAL_RETRY_AFTER_S = 5;

/**
 * Temporal did not answer within the request's budget, or could not be reached: the request may or may not have
 * taken effect (a start or an update can land just before the connection drops), so the caller retries it as it was,
 * with the same Idempotency-Key, and gets one effect either way.
 */
export class TemporalUnavailableError extends AftercareError {
  readonly status = 503;
  readonly code = 'temporal_unavailable';
  readonly retryAfterSeconds = TEMPORAL_RETRY_AFTER_S;
  constructor() {
    super(
      'Temporal did not answer in time (unreachable, overloaded, or no worker is running); the request may not have ' +
        `taken effect. Retry it (with the same Idempotency-Key) in ${TEMPORAL_RETRY_AFTER_S} seconds or so.`,
    );
  }
}

/** gRPC codes that mean "Temporal cannot take this now". */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const GRPC_FAILED_PRECONDITION = 9;
/** A query with no worker to answer it: FAILED_PRECONDITION with this text (the server's own wording). */
const NO_POLLER = /no poller seen/i;
const UNAVAILABLE_CODES = new Set([GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED, GRPC_RESOURCE_EXHAUSTED]);

/**
 * Whether a failure means Temporal was out of reach rather than that the request was wrong: a gRPC status of
 * UNAVAILABLE (connection refused or lost), DEADLINE_EXCEEDED (the request's budget ran out, also while the SDK
 * retried an unreachable server) or RESOURCE_EXHAUSTED (Temporal's rate limits), anywhere in the cause chain (the
 * client wraps them in its ServiceError), a query that no worker polls for (FAILED_PRECONDITION "no poller seen": the
 * workers are down, or the server has just restarted and not seen them yet), or an update call that timed out (WorkflowUpdateRPCTimeoutOrCancelledError).
 * Both connection kinds fail this way: the client's gRPC ServiceError and the worker's native one.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) return true;
    if (isGrpcServiceError(e) && e.code === GRPC_FAILED_PRECONDITION && NO_POLLER.test(e.details ?? '')) return true;
  }
  return false;
}
