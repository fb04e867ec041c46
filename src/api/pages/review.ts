import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readReviewLink, type LinkKeys } from '../../messages/links';
import { describeError } from '../../lib/redact';
import { pathToken, sendPage } from './shell';
import { linkExpiredPage, linkInvalidPage } from './survey-pages';

/** How long a review click may hold up the redirect; the click is counted in the background after that. */
const CLICK_RECORD_WAIT_MS = 1500;

// The token is a credential for this one link: keep it out of the request log.
const logSerializers = {
  req: (req: FastifyRequest) => ({ method: req.method, url: '/r/[token]', remoteAddress: req.ip }),
};

/**
 * The review link's counted redirect: the business's review page comes only from the signed token,
 * the click is counted (best effort, never blocking the customer) and the browser is sent on.
 */
export function reviewRedirectRoutes(
  app: FastifyInstance,
  opts: { recordReviewClick(orderId: string, eventId: string): Promise<void>; keys: LinkKeys; now: () => number },
): void {
  app.get('/r/*', { logSerializers }, async (request, reply) => {
    const link = readReviewLink(opts.keys, pathToken(request), opts.now());
    if (!link.ok)
      return sendPage(
        reply,
        link.reason === 'expired' ? 410 : 400,
        link.reason === 'expired' ? linkExpiredPage() : linkInvalidPage(),
      );
    const { orderId, target } = link.value;

    // HEAD is what link checkers send, not customers: redirect, but count nothing.
    if (request.method === 'GET') {
      const hash = createHash('sha256').update(link.token, 'utf8').digest('hex').slice(0, 16);
      // Per link and minute: a double tap or a mail scanner's prefetch right after is one click.
      const eventId = `click:${hash}:${Math.floor(opts.now() / 60_000)}`;
      await bestEffort(request, () => opts.recordReviewClick(orderId, eventId));
    }
    return reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-robots-tag', 'noindex')
      .redirect(target, 302);
  });
}

/** Waits a little for the click to be counted; a failure or a slow Temporal never stops the redirect. */
async function bestEffort(request: FastifyRequest, work: () => Promise<void>): Promise<void> {
  const logged = Promise.resolve()
    .then(work)
    .catch((err: unknown) => {
      request.log.warn({ error: describeError(err) }, 'review click not recorded');
    });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLICK_RECORD_WAIT_MS);
    timer.unref();
  });
  await Promise.race([logged, timeout]);
  clearTimeout(timer);
}
