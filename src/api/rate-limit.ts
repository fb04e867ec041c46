import type { RateLimitPluginOptions } from '@fastify/rate-limit';

/**
 * How @fastify/rate-limit is registered (`app.register(rateLimit, RATE_LIMITS)`): off by default; the public
 * token pages (TOKEN_RATE_LIMIT, per client and link) and the codec sign-in opt in per route. Over the limit:
 * 429 with Retry-After.
 */
export const RATE_LIMITS: RateLimitPluginOptions = {
  global: false,
  errorResponseBuilder: (_request, context) => ({
    statusCode: context.statusCode,
    code: 'rate_limited',
    message: `too many requests; retry in ${context.after}`,
  }),
};
