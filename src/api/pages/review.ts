import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readReviewLink, type LinkKeys } from '../../messages/links';
import { describeError } from '../../lib/redact';
import { pathToken, sendPage, tokenRoute } from './shell';
import { linkExpiredPage, linkInvalidPage } from './survey-pages';

/** How long a review click may hold up the redirect; the click is counted in the background after that. */
const CLICK_RECORD_WAIT_MS = 1500;

const route = tokenRoute('r');
/** Links whose click was counted, remembered per process (a restart forgets them: one more signal each). */
const REMEMBERED_CLICKS = 10_000;

/**
 * The review link's counted redirect: the business's review page comes only from the signed token,
 * the click is counted (best effort, never blocking the customer) and the browser is sent on.
 */
export function reviewRedirectRoutes(
  app: FastifyInstance,
  opts: {
    /** `tenant`: the one the link names (undefined: the default tenant's, whose links name none). */
    recordReviewClick(
      orderId: string,
      eventId: string,
      variant: string | undefined,
      tenant: string | undefined,
    ): Promise<void>;
    keys: LinkKeys;
    now: () => number;
  },
): void {
  const counted = new RecentlySeen(REMEMBERED_CLICKS);
  app.get('/r/*', route, async (request, reply) => {
    const link = readReviewLink(opts.keys, pathToken(request), opts.now());
    if (!link.ok)
      return sendPage(
        reply,
        link.reason === 'expired' ? 410 : 400,
        link.reason === 'expired' ? linkExpiredPage() : linkInvalidPage(),
      );
    const { orderId, target, variant, tenant } = link.value;

    // HEAD is what link checkers send, not customers: redirect, but count nothing.
    if (request.method === 'GET') {
      // One click per link: a double tap, a scanner's prefetch or a replayed link is the same click, and after
      // the first one it never reaches Temporal again (the journey would also ignore it, but its history grows).
      const eventId = `click:${createHash('sha256').update(link.token, 'utf8').digest('hex').slice(0, 16)}`;
      if (counted.add(eventId)) {
        await bestEffort(request, async () => {
          try {
            await opts.recordReviewClick(orderId, eventId, variant, tenant);
          } catch (err) {
            counted.forget(eventId); // not counted after all: the next click tries again
            throw err;
          }
        });
      }
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

/** A bounded set: add() is true the first time a value is seen; the oldest values are forgotten first. */
class RecentlySeen {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  add(value: string): boolean {
    if (this.seen.has(value)) return false;
    this.seen.add(value);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value!);
    return true;
  }

  forget(value: string): void {
    this.seen.delete(value);
  }
}
