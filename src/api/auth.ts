import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';
import { safeEqualText } from '../lib/crypto';

/**
 * A bearer-key check (the business's API key for /v1, the operators' key for /metrics and /docs): compared
 * through hashes, so neither the key nor its length leaks through timing.
 */
export function requireKey(key: string, variable: string): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (safeEqualText(token, key)) return done();
    // Answered here: the route never runs.
    void reply
      .status(401)
      .header('www-authenticate', 'Bearer')
      .send({ error: { code: 'unauthorized', message: `send Authorization: Bearer <${variable}>` } });
  };
}
