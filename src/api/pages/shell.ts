import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTemporalUnavailable, TEMPORAL_RETRY_AFTER_S } from '../../errors';
import { describeError } from '../../lib/redact';

/**
 * What the customer-facing HTML pages (survey, unsubscribe) share: the page shell with its base styles, the
 * response with its security headers, and HTML escaping (also used by the dev outbox page).
 */

/** Inline styles and a form posting back to the page itself; nothing else loads, runs or frames the page. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Sends a page that is never cached, indexed or sniffed, and whose URL (it may carry a token) is never passed on. */
export function sendPage(reply: FastifyReply, status: number, html: string, opts: { csp?: string } = {}): FastifyReply {
  return (
    reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', opts.csp ?? PAGE_CSP)
      .header('cache-control', 'no-store')
      // The URL carries the token: never pass it on.
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .header('x-robots-tag', 'noindex')
      .send(html)
  );
}

const BASE_CSS = `  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Bengali", sans-serif; color: #1f2328; background: #f6f8fa; }
  main { max-width: 32rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 .75rem; }
  p { margin: 0 0 .75rem; }
  button { width: 100%; font: inherit; font-weight: 600; padding: .8rem 1rem; border: 0; border-radius: 8px; background: #1f6feb; color: #fff; cursor: pointer; }`;

const MOBILE_CSS = `  @media (max-width: 36rem) { main { margin: 0; min-height: 100vh; border-radius: 0; box-shadow: none; } }`;

/**
 * The page shell: `title` and `body` are HTML (escape what goes into them); `extraCss` is style rules, one per line
 * indented by two spaces, placed after the base rules and before the mobile layout.
 */
export function pageShell(lang: string, title: string, body: string, extraCss = ''): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>
${BASE_CSS}
${extraCss === '' ? '' : `${extraCss}\n`}${MOBILE_CSS}
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The token of a `/prefix/*` page URL (tokens are longer than Fastify's 100-character parameter limit). */
export function pathToken(request: FastifyRequest): string {
  const token = (request.params as { '*'?: string } | undefined)?.['*'] ?? '';
  return token.includes('/') ? '' : token;
}

/** How often one client may open one link: plenty for a customer, nothing for someone replaying it. */
export const TOKEN_RATE_LIMIT = { max: 20, timeWindow: 60_000 };

/**
 * Route options every token page shares. The token is a credential for one link, so neither it nor the
 * customer's IP address goes to the request log; each client gets TOKEN_RATE_LIMIT tries per link (429 after).
 */
export function tokenRoute(prefix: string) {
  return {
    logSerializers: { req: (req: FastifyRequest) => ({ method: req.method, url: `/${prefix}/[token]` }) },
    config: {
      rateLimit: {
        ...TOKEN_RATE_LIMIT,
        keyGenerator: (req: FastifyRequest) =>
          `${normalizeIP(req.ip)}|${createHash('sha256').update(req.url.split('?')[0]!).digest('base64url').slice(0, 22)}`,
      },
    },
  };
}

/**
 * What every token page with a form sets up in its scope. The form posts urlencoded; the raw string is parsed in the
 * handler, so a parser some parent scope registered for this type (also returning the raw text) works the same.
 * And pages, not JSON: a body too large or malformed gets the `unreadable` page, an outage the `failed` one (logged as
 * "<name> page failed", without the body).
 */
export function formPageScope(
  app: FastifyInstance,
  name: string,
  pages: { unreadable(request: FastifyRequest): string; failed(request: FastifyRequest): string },
): void {
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.removeContentTypeParser('application/x-www-form-urlencoded');
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendPage(reply, err.statusCode, pages.unreadable(request));
    }
    // Temporal out of reach: the customer's "try again" page, as a 503 that says when (an outage, not a bug).
    if (isTemporalUnavailable(err)) {
      request.log.warn(`${name} page: Temporal unavailable; answered 503`);
      reply.header('retry-after', String(TEMPORAL_RETRY_AFTER_S));
      return sendPage(reply, 503, pages.failed(request));
    }
    request.log.error({ error: describeError(err) }, `${name} page failed`);
    return sendPage(reply, 500, pages.failed(request));
  });
}
