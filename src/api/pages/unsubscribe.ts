import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readUnsubscribeLink, type LinkKeys } from '../../messages/links';
import type { CustomerEventSink } from '../webhooks/sink';
import { escapeHtml, pageShell, pathToken, sendPage, tokenRoute } from './shell';
import { describeError } from '../../lib/redact';
import { isNotFound } from '../../lib/http';

/**
 * The unsubscribe link in marketing emails, and its RFC 8058 one-click POST. GET only shows a
 * confirmation page (mail scanners prefetch links; a GET must never unsubscribe anyone); POST, from
 * the page's form or from the mail client's List-Unsubscribe-Post, records the opt-out.
 * Routes are `/unsubscribe/*`, not `/:token`: tokens are longer than Fastify's 100-character
 * parameter limit, which answers 414.
 */
export interface UnsubscribeOptions {
  sink: CustomerEventSink;
  /** Verifies the signed 'unsubscribe' token. */
  keys: LinkKeys;
  brandName: string;
  /** Another tenant's customers and brand, for links that name it (AFTERCARE_TENANTS); undefined: no such tenant. */
  tenantPages?: (tenant: string) => { customers: CustomerEventSink; brandName: string } | undefined;
  now?: () => number;
}

const route = tokenRoute('unsubscribe');

export async function unsubscribeRoutes(app: FastifyInstance, opts: UnsubscribeOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const brand = opts.brandName;

  // Mail clients send `List-Unsubscribe=One-Click` as multipart/form-data or urlencoded; the token in the URL
  // is all that matters, so any body is read (within the body limit) and ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));

  /** The customer id the token was issued for, or undefined for a forged, expired or foreign token. */
  const customerOf = (
    request: FastifyRequest,
  ): { token: string; customerId: string; sink: CustomerEventSink; brand: string } | undefined => {
    const link = readUnsubscribeLink(opts.keys, pathToken(request), now());
    if (!link.ok) return undefined;
    const { customerId, tenant } = link.value;
    const theirs = tenant === undefined ? undefined : opts.tenantPages?.(tenant);
    // A link naming a tenant this deployment no longer serves is not one of ours any more.
    if (tenant !== undefined && !theirs) return undefined;
    return { token: link.token, customerId, sink: theirs?.customers ?? opts.sink, brand: theirs?.brandName ?? brand };
  };

  app.get('/unsubscribe/*', route, async (request, reply) => {
    const target = customerOf(request);
    if (!target) return sendPage(reply, 400, invalidPage(brand));
    return sendPage(reply, 200, confirmPage(target.brand));
  });

  app.post('/unsubscribe/*', route, async (request, reply) => {
    const target = customerOf(request);
    if (!target) return sendPage(reply, 400, invalidPage(brand));
    try {
      await target.sink.recordCustomerEvent(target.customerId, {
        type: 'opt-out',
        channel: 'all',
        scope: 'marketing',
        source: 'email-unsubscribe',
        // Same link, same event: a double click or a mail client's retry changes nothing.
        eventId: `unsubscribe:${createHash('sha256').update(target.token, 'utf8').digest('hex')}`,
        at: new Date(now()).toISOString(),
      });
    } catch (err) {
      // A customer Aftercare no longer knows gets no more offers either: the same page, not an error.
      if (!isNotFound(err)) {
        request.log.error({ error: describeError(err) }, 'unsubscribe failed');
        return sendPage(reply, 500, errorPage(target.brand));
      }
    }
    return sendPage(reply, 200, donePage(target.brand));
  });
}

const PAGE_CSS = `  .bn { color: #57606a; }
  button:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }`;

function layout(title: string, body: string): string {
  return pageShell('en', title, body, PAGE_CSS);
}

function confirmPage(brandName: string): string {
  const brand = escapeHtml(brandName);
  // No action attribute: the form posts to this very URL, token included.
  return layout(
    `Unsubscribe from ${brand} offers`,
    `<h1>Stop offers from ${brand}?</h1>
<p>You will no longer get offers and promotions. Updates about your orders will still reach you.</p>
<p class="bn" lang="bn">আপনি আর অফার পাবেন না; অর্ডারের আপডেট আগের মতোই পাবেন।</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe from offers · <span lang="bn">অফার পাওয়া বন্ধ করুন</span></button>
</form>`,
  );
}

function donePage(brandName: string): string {
  const brand = escapeHtml(brandName);
  return layout(
    `Unsubscribed from ${brand} offers`,
    `<h1>You are unsubscribed from offers</h1>
<p>${brand} will send you no more offers. Order updates will still reach you.</p>
<p class="bn" lang="bn">আপনি আর অফার পাবেন না; অর্ডারের আপডেট আগের মতোই পাবেন।</p>`,
  );
}

function invalidPage(brandName: string): string {
  const brand = escapeHtml(brandName);
  return layout(
    'This link is not valid any more',
    `<h1>This link is not valid any more</h1>
<p>It may have expired. To stop offers from ${brand}, use the unsubscribe link in a more recent email.</p>
<p class="bn" lang="bn">এই লিংকটি আর কার্যকর নয়। নতুন কোনো ইমেইলের লিংক ব্যবহার করুন।</p>`,
  );
}

function errorPage(brandName: string): string {
  const brand = escapeHtml(brandName);
  return layout(
    'Please try again',
    `<h1>Something went wrong</h1>
<p>We could not unsubscribe you from ${brand} offers just now. Please try again in a few minutes.</p>
<p class="bn" lang="bn">এই মুহূর্তে সম্ভব হয়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।</p>`,
  );
}
