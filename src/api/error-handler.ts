import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AftercareError, isTemporalUnavailable, TemporalUnavailableError } from '../errors';
import { formatPath } from '../lib/validation';

/**
 * The API's one error handler: Aftercare's errors carry their status; a body that breaks the
 * contract is 422 with each field's path; Fastify's own 4xx (malformed JSON, too large) keep their
 * message; Temporal out of reach (or slower than the request's budget) is a 503 that says to retry;
 * anything else is a 500 that points at the log, never at internals.
 */
export function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AftercareError) {
    return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
  }
  if (isTemporalUnavailable(err)) return replyTemporalUnavailable(err, request, reply);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    return reply.status(422).send({
      error: {
        code: 'validation_failed',
        message: `the request ${where} does not match the contract`,
        details: err.validation.map((v) => ({
          path:
            formatPath(
              v.instancePath
                .split('/')
                .filter(Boolean)
                .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
            ) || `(${where})`,
          message: v.message ?? 'invalid',
        })),
      },
    });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    // Malformed JSON, wrong content type, body too large: Fastify's own message says what to fix.
    return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad_request', message: err.message } });
  }
  request.log.error({ err }, 'request failed');
  return reply
    .status(500)
    .send({ error: { code: 'internal', message: 'internal error; see the server log for request ' + request.id } });
}

/**
 * 503 with Retry-After for a request Temporal did not answer: logged as a warning with the gRPC status only (the
 * cause is outside this process, and an outage would otherwise flood the error log with one stack per request).
 */
export function replyTemporalUnavailable(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const answer = new TemporalUnavailableError();
  request.log.warn({ grpc: grpcStatusOf(err) }, 'Temporal unavailable; answered 503');
  return reply
    .status(answer.status)
    .header('retry-after', String(answer.retryAfterSeconds))
    .send({ error: { code: answer.code, message: answer.message } });
}

/** The innermost gRPC code and details in the cause chain, for the log. */
function grpcStatusOf(err: unknown): { code?: number; details?: string } {
  let found: { code?: number; details?: string } = {};
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const { code, details } = e as { code?: unknown; details?: unknown };
    if (typeof code === 'number') found = { code, ...(typeof details === 'string' ? { details } : {}) };
  }
  return found;
}
