import { describe, expect, it } from 'vitest';
import { withLinks } from '../../src/activities/delivery/links';
import { deriveKeys } from '../../src/lib/keys';
import type { SendMessageRequest } from '../../src/workflows/delivery/contract';

/**
 * A retried send must render the very same message: providers (Resend) refuse a different body under the same
 * idempotency key (409), which would turn a send cut off by a dying worker into a failure. The links' expiries are
 * the only part that depends on time, so they count from when the workflow made the request.
 */
const keys = deriveKeys('send-retry-secret-0123456789abcdef012345');
const settings = { keys, publicUrl: 'https://aftercare.shop.example', telegramBotUsername: 'shop_bot' };
const request = (o: Partial<SendMessageRequest> = {}) =>
  ({
    kind: 'offer',
    purpose: 'marketing',
    channel: 'email',
    to: 'ana@example.com',
    locale: 'en',
    fallbackLocale: 'en',
    workflowId: 'order-A-1001',
    messageKey: 'offer',
    customerId: 'cus_1',
    offerTelegramLink: true,
    data: {
      orderId: 'A-1001',
      reviewUrl: 'https://reviews.example/shop',
      offer: { code: 'ANA-10', discountPercent: 10, expiresAt: '2026-12-22T10:00:00Z', services: [] },
    },
    ...o,
  }) as SendMessageRequest;

describe("a retried send's links", () => {
  const first = Date.parse('2026-12-06T10:00:00.000Z');
  const retry = first + 37_000;

  it('are the same on every attempt of one request: they count from when the workflow made it', () => {
    const req = request({ issuedAt: new Date(first - 5_000).toISOString() });
    const a = withLinks(req, settings, first);
    const b = withLinks(req, settings, retry);
    expect(b).toEqual(a);
    expect(a.preferencesUrl).toMatch(/^https:\/\/aftercare\.shop\.example\/preferences\//);
    expect(a.unsubscribeUrl).toMatch(/^https:\/\/aftercare\.shop\.example\/unsubscribe\//);
    expect(a.telegramLinkUrl).toBeDefined();
  });

  it('are the same when the journey is re-run the same day (an operator resets it): expiries end with the UTC day', () => {
    const run = withLinks(request({ issuedAt: '2026-12-06T10:00:00.000Z' }), settings, first);
    const rerun = withLinks(request({ issuedAt: '2026-12-06T16:30:00.000Z' }), settings, first);
    expect(rerun).toEqual(run);
    const nextDay = withLinks(request({ issuedAt: '2026-12-07T00:00:01.000Z' }), settings, first);
    expect(nextDay.preferencesUrl).not.toEqual(run.preferencesUrl);
  });

  it('count from the attempt for requests made before issuedAt existed, to the end of its day', () => {
    const a = withLinks(request(), settings, first);
    expect(withLinks(request(), settings, retry)).toEqual(a);
    expect(withLinks(request(), settings, first + 86_400_000).preferencesUrl).not.toEqual(a.preferencesUrl);
  });
});
