import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AftercareError } from '../errors';
import { formatPath } from '../lib/validation';

/**
 * The API's one error handler: Aftercare's errors carry their status; a body that breaks the
 * contract is 422 with each field's path; Fastify's own 4xx (malformed JSON, too large) keep their
 * message; anything else is a 500 that points at the log, never at internals.
 */
export function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AftercareError) {
    return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
  }
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
