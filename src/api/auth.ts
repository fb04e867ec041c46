import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqualText } from '../lib/crypto';

/** Bearer-key check for /v1: compared through hashes, so neither the key nor its length leaks through timing. */
export function requireApiKey(apiKey: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!safeEqualText(token, apiKey)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'unauthorized', message: 'send Authorization: Bearer <AFTERCARE_API_KEY>' } });
    }
  };
}
