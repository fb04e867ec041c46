import { Writable } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { surveyRoutes, type SurveyOptions } from '../../src/api/pages/survey';
import { TOKEN_RATE_LIMIT } from '../../src/api/pages/shell';
import { RATE_LIMITS } from '../../src/api/rate-limit';
import { reviewLink, surveyLink } from '../../src/messages/links';
import { ConflictError, NotFoundError } from '../../src/errors';
import { deriveKeys } from '../../src/lib/keys';
import { signToken, verifyToken } from '../../src/lib/tokens';

const SECRET = 'aftercare-test-secret-0123456789';
const KEYS = deriveKeys(SECRET);
const PUBLIC_URL = 'https://aftercare.example';
const NOW = Date.parse('2026-11-02T10:00:00.000Z');
const WEEK = 7 * 86_400_000;
const BRAND = 'Dhaka <Gadgets> & "Co"';
const REVIEW_URL = 'https://g.page/r/dhaka-gadgets/review?hl=bn&src=aftercare';

type SurveySink = SurveyOptions['sink'];

/** Records what the journey would receive; can be told to fail like the journey or Temporal would. */
class RecordingSink implements SurveySink {
  readonly feedback: { orderId: string; input: unknown }[] = [];
  readonly clicks: { orderId: string; eventId: string }[] = [];
  feedbackError: Error | undefined;
  clickError: Error | undefined;
  replaced = false;

  async submitFeedback(orderId: string, input: unknown): Promise<{ accepted: true; replaced: boolean }> {
    if (this.feedbackError) throw this.feedbackError;
    this.feedback.push({ orderId, input });
    return { accepted: true, replaced: this.replaced };
  }

  async recordReviewClick(orderId: string, eventId: string): Promise<void> {
    if (this.clickError) throw this.clickError;
    this.clicks.push({ orderId, eventId });
  }
}

let sink: RecordingSink;
let app: FastifyInstance;
let clock = NOW;
const logLines: string[] = [];

// Each call mints another link (its expiry a second later): the pages allow one client TOKEN_RATE_LIMIT tries per link.
let minted = 0;
const surveyToken = (p: { o?: string; l?: string; n?: string } = {}, expiresAt = NOW + WEEK + ++minted * 1000) =>
  signToken(KEYS.links, 'survey', { o: 'A-1001', l: 'en', ...p }, { expiresAt });
const reviewToken = (u = REVIEW_URL, expiresAt = NOW + WEEK) =>
  signToken(KEYS.links, 'review-click', { o: 'A-1001', u, k: 'review_request' }, { expiresAt });
/** Keeps the body (so the locale is still readable) and breaks the signature. */
const forged = (token: string) => `${token.split('.')[0]}.${'A'.repeat(43)}`;
const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams(fields).toString(),
});

beforeAll(async () => {
  sink = new RecordingSink();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  app = Fastify({ logger: { level: 'info', stream } });
  await app.register(rateLimit, RATE_LIMITS);
  await app.register(surveyRoutes, { sink, keys: KEYS, brandName: BRAND, now: () => clock });
  // A sibling route outside the plugin: the form parser must not reach it.
  app.post('/outside', async () => ({ ok: true }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  sink.feedback.length = 0;
  sink.clicks.length = 0;
  sink.feedbackError = undefined;
  sink.clickError = undefined;
  sink.replaced = false;
  clock = NOW;
});

function expectPageHeaders(res: { headers: Record<string, unknown> }): void {
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  const csp = String(res.headers['content-security-policy']);
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("style-src 'unsafe-inline'");
  expect(csp).toContain("form-action 'self'");
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
}

describe('GET /survey/:token', () => {
  it('shows the rating form in English: five labelled stars, an optional comment, posting to the same URL', async () => {
    const res = await app.inject({ method: 'GET', url: `/survey/${surveyToken()}` });
    expect(res.statusCode).toBe(200);
    expectPageHeaders(res);
    const html = res.body;
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('How did we do?');
    expect(html).toContain('name="viewport"');
    for (const n of [1, 2, 3, 4, 5]) {
      expect(html).toContain(`<input type="radio" id="rating-${n}" name="rating" value="${n}"`);
      expect(html).toContain(`<label for="rating-${n}">`);
    }
    expect(html).toContain('5 stars: excellent');
    expect(html).toContain('<legend>Your rating</legend>');
    expect(html).toMatch(/<textarea id="comment" name="comment" maxlength="2000"/);
    expect(html).toContain('<form method="post">');
    expect(html).not.toContain('action=');
    // No scripts and nothing external.
    expect(html).not.toMatch(/<script|src=|https?:\/\//);
    expect(sink.feedback).toEqual([]);
  });

  it('shows the form in Bengali for a Bengali token, greeting the customer by the name it carries', async () => {
    const res = await app.inject({ method: 'GET', url: `/survey/${surveyToken({ l: 'bn-BD', n: 'Rahim' })}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<html lang="bn">');
    expect(res.body).toContain('আমাদের সেবা কেমন লেগেছে?');
    expect(res.body).toContain('প্রিয় Rahim,');
    expect(res.body).toContain('৫ তারা: চমৎকার');
    expect(res.body).toContain('উত্তর পাঠান');
    expect(res.body).not.toContain('How did we do?');
  });

  it('answers a forged token with 400 "This link is not valid", in the language the token claims', async () => {
    const res = await app.inject({ method: 'GET', url: `/survey/${forged(surveyToken())}` });
    expect(res.statusCode).toBe(400);
    expectPageHeaders(res);
    expect(res.body).toContain('This link is not valid');
    expect(res.body).not.toContain('<form');

    const bn = await app.inject({ method: 'GET', url: `/survey/${forged(surveyToken({ l: 'bn' }))}` });
    expect(bn.statusCode).toBe(400);
    expect(bn.body).toContain('এই লিংকটি সঠিক নয়');

    // Unreadable: English by default (with a Bengali line).
    const garbage = await app.inject({ method: 'GET', url: '/survey/not-a-token' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.body).toContain('<html lang="en">');
    expect(garbage.body).toContain('This link is not valid');

    const empty = await app.inject({ method: 'GET', url: '/survey/' });
    expect(empty.statusCode).toBe(400);
  });

  it("rejects another link's token (an unsubscribe or review token is no survey)", async () => {
    const unsubscribe = signToken(KEYS.links, 'unsubscribe', { c: 'cust-1', o: 'A-1001' }, { expiresAt: NOW + WEEK });
    for (const token of [unsubscribe, reviewToken()]) {
      const res = await app.inject({ method: 'GET', url: `/survey/${token}` });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('This link is not valid');
    }
  });

  it('answers an expired token with 410 "This survey has closed", localized', async () => {
    const res = await app.inject({ method: 'GET', url: `/survey/${surveyToken({}, NOW - 1000)}` });
    expect(res.statusCode).toBe(410);
    expectPageHeaders(res);
    expect(res.body).toContain('This survey has closed');
    expect(res.body).not.toContain('<form');

    const bn = await app.inject({ method: 'GET', url: `/survey/${surveyToken({ l: 'bn' }, NOW - 1000)}` });
    expect(bn.statusCode).toBe(410);
    expect(bn.body).toContain('এই জরিপটি বন্ধ হয়ে গেছে');
  });

  it('escapes the brand name, the order id and the name from the token', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/survey/${surveyToken({ o: 'A-<b>1</b>', n: '<img onerror=x>' })}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Dhaka &lt;Gadgets&gt; &amp; &quot;Co&quot;');
    expect(res.body).toContain('A-&lt;b&gt;1&lt;/b&gt;');
    expect(res.body).toContain('&lt;img onerror=x&gt;');
    expect(res.body).not.toContain('<Gadgets>');
    expect(res.body).not.toContain('<img');
    expect(res.body).not.toContain('<b>');
  });
});

describe('POST /survey/:token', () => {
  it('sends the rating and comment from the form to the journey, source "survey-page", and thanks the customer', async () => {
    const token = surveyToken();
    const res = await app.inject({
      method: 'POST',
      url: `/survey/${token}`,
      ...form({ rating: '4', comment: '  Fast delivery,\r\nthank you!  ' }),
    });
    expect(res.statusCode).toBe(200);
    expectPageHeaders(res);
    expect(sink.feedback).toEqual([
      { orderId: 'A-1001', input: { rating: 4, comment: 'Fast delivery,\nthank you!', source: 'survey-page' } },
    ]);
    expect(res.body).toContain('Thank you!');
    expect(res.body).toContain('You can change your answer from this same link until we follow up.');
    expect(res.body).toContain('<a href="">');
    expect(res.body).not.toContain('updated your answer');
  });

  it('accepts JSON too, and leaves an empty comment out', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken()}`,
      payload: { rating: 5, comment: '   ' },
    });
    expect(res.statusCode).toBe(200);
    expect(sink.feedback).toEqual([{ orderId: 'A-1001', input: { rating: 5, source: 'survey-page' } }]);
  });

  it('says so when the answer replaced an earlier one', async () => {
    sink.replaced = true;
    const res = await app.inject({ method: 'POST', url: `/survey/${surveyToken()}`, ...form({ rating: '2' }) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('We’ve updated your answer.');

    const bn = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken({ l: 'bn' })}`,
      ...form({ rating: '2' }),
    });
    expect(bn.body).toContain('ধন্যবাদ!');
    expect(bn.body).toContain('আপনার উত্তরটি আপডেট করা হয়েছে।');
  });

  it('re-shows the form with a message (422) for a missing or invalid rating, keeping the comment and sending nothing', async () => {
    const token = surveyToken();
    for (const rating of [undefined, '', '0', '6', '3.5', 'five', '-1']) {
      const fields: Record<string, string> = { comment: 'Box was <crushed> & late' };
      if (rating !== undefined) fields.rating = rating;
      const res = await app.inject({ method: 'POST', url: `/survey/${token}`, ...form(fields) });
      expect(res.statusCode, `rating ${String(rating)}`).toBe(422);
      expectPageHeaders(res);
      expect(res.body).toContain('Please choose a rating from 1 to 5 stars.');
      expect(res.body).toContain('<form method="post">');
      expect(res.body).toContain('Box was &lt;crushed&gt; &amp; late</textarea>');
    }
    for (const rating of [0, 6, 2.5, '7', [4], null, true]) {
      const res = await app.inject({ method: 'POST', url: `/survey/${token}`, payload: { rating } });
      expect(res.statusCode, `JSON rating ${JSON.stringify(rating)}`).toBe(422);
    }
    expect(sink.feedback).toEqual([]);
  });

  it('takes a 2000-character comment with line breaks (as browsers send them) and refuses a longer one', async () => {
    const token = surveyToken();
    const lines = `${'x'.repeat(99)}\r\n`.repeat(20).trimEnd(); // 2000 characters once CRLF counts as one
    const ok = await app.inject({ method: 'POST', url: `/survey/${token}`, ...form({ rating: '3', comment: lines }) });
    expect(ok.statusCode).toBe(200);
    expect((sink.feedback[0]?.input as { comment: string }).comment).toHaveLength(1999);

    const long = await app.inject({
      method: 'POST',
      url: `/survey/${token}`,
      ...form({ rating: '3', comment: 'y'.repeat(2001) }),
    });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('2,000 characters');
    expect(long.body).toMatch(/id="rating-3" name="rating" value="3" checked/);
    expect(sink.feedback).toHaveLength(1);
  });

  it('answers 409 "Thanks — this survey is closed" when the journey no longer takes answers', async () => {
    sink.feedbackError = new ConflictError("order A-1001's journey has ended", 'feedback_closed');
    const res = await app.inject({ method: 'POST', url: `/survey/${surveyToken()}`, ...form({ rating: '5' }) });
    expect(res.statusCode).toBe(409);
    expectPageHeaders(res);
    expect(res.body).toContain('Thanks — this survey is closed');
    expect(res.body).not.toContain('<form');

    const bn = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken({ l: 'bn' })}`,
      ...form({ rating: '5' }),
    });
    expect(bn.statusCode).toBe(409);
    expect(bn.body).toContain('ধন্যবাদ — এই জরিপটি বন্ধ হয়ে গেছে');
  });

  it('answers 410 (closed) when the order is unknown', async () => {
    sink.feedbackError = new NotFoundError('no order "A-1001"');
    const res = await app.inject({ method: 'POST', url: `/survey/${surveyToken()}`, ...form({ rating: '5' }) });
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('This survey has closed');
  });

  it('keeps the answer in the form when saving fails, and logs neither token nor comment', async () => {
    const token = surveyToken();
    sink.feedbackError = new Error('connect ECONNREFUSED 127.0.0.1:7233');
    logLines.length = 0;
    const res = await app.inject({
      method: 'POST',
      url: `/survey/${token}`,
      ...form({ rating: '1', comment: 'secret-comment-text' }),
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('Something went wrong');
    expect(res.body).toMatch(/value="1" checked/);
    expect(res.body).toContain('secret-comment-text</textarea>');
    const log = logLines.join('');
    expect(log).toContain('survey answer not recorded');
    expect(log).toContain('/survey/[token]');
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[1]);
    expect(log).not.toContain('secret-comment-text');
  });

  it('changes nothing for an expired or forged token', async () => {
    const expired = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken({}, NOW - 1)}`,
      ...form({ rating: '5' }),
    });
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('This survey has closed');

    clock = NOW + WEEK; // the moment it expires
    const atExpiry = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken({}, NOW + WEEK)}`,
      ...form({ rating: '5' }),
    });
    expect(atExpiry.statusCode).toBe(410);
    clock = NOW;

    const bad = await app.inject({ method: 'POST', url: `/survey/${forged(surveyToken())}`, ...form({ rating: '5' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('This link is not valid');
    expect(sink.feedback).toEqual([]);
  });

  it('answers a malformed body with a page, not JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/survey/${surveyToken()}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"rating": 5',
    });
    expect(res.statusCode).toBe(400);
    expectPageHeaders(res);
    expect(res.body).toContain('We could not read your answer');
    expect(sink.feedback).toEqual([]);
  });

  it('keeps its form parser to itself', async () => {
    const res = await app.inject({ method: 'POST', url: '/outside', ...form({ rating: '5' }) });
    expect(res.statusCode).toBe(415);
  });
});

describe('GET /r/:token (review link)', () => {
  it('counts the click and redirects to the signed review URL', async () => {
    const token = reviewToken();
    expect(token.length).toBeGreaterThan(100);
    const res = await app.inject({ method: 'GET', url: `/r/${token}` });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(REVIEW_URL);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(sink.clicks).toHaveLength(1);
    expect(sink.clicks[0]?.orderId).toBe('A-1001');
    expect(sink.clicks[0]?.eventId).toMatch(/^click:[0-9a-f]{16}$/);

    // The same link again, now or a minute later, is the same click, and it never reaches Temporal again.
    await app.inject({ method: 'GET', url: `/r/${token}` });
    clock = NOW + 60_000;
    const later = await app.inject({ method: 'GET', url: `/r/${token}` });
    expect(later.statusCode).toBe(302);
    expect(sink.clicks).toHaveLength(1);
    // Another link (another message) is another click.
    await app.inject({ method: 'GET', url: `/r/${reviewToken(REVIEW_URL, NOW + WEEK + 1000)}` });
    expect(sink.clicks).toHaveLength(2);
  });

  it('counts a click whose recording failed when the link is opened again', async () => {
    const token = reviewToken(REVIEW_URL, NOW + WEEK + 2000);
    sink.clickError = new Error('Temporal unavailable');
    expect((await app.inject({ method: 'GET', url: `/r/${token}` })).statusCode).toBe(302);
    sink.clickError = undefined;
    await app.inject({ method: 'GET', url: `/r/${token}` });
    expect(sink.clicks).toHaveLength(1);
  });

  it('rate-limits one client hammering one link (429 with Retry-After), not other links or clients', async () => {
    const token = reviewToken(REVIEW_URL, NOW + WEEK + 3000);
    const hit = (t: string, ip = '203.0.113.7') => app.inject({ method: 'GET', url: `/r/${t}`, remoteAddress: ip });
    for (let i = 0; i < TOKEN_RATE_LIMIT.max; i++) expect((await hit(token)).statusCode).toBe(302);
    const limited = await hit(token);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await hit(token, '198.51.100.9')).statusCode).toBe(302);
    expect((await hit(reviewToken(REVIEW_URL, NOW + WEEK + 4000))).statusCode).toBe(302);
    // The survey page has the same limit, and answers with a page, not JSON.
    const survey = surveyToken({ o: 'A-2002' });
    const open = (ip = '203.0.113.8') => app.inject({ method: 'GET', url: `/survey/${survey}`, remoteAddress: ip });
    for (let i = 0; i < TOKEN_RATE_LIMIT.max; i++) expect((await open()).statusCode).toBe(200);
    const page = await open();
    expect(page.statusCode).toBe(429);
    expect(page.headers['content-type']).toContain('text/html');
  });

  it('still redirects when counting the click fails', async () => {
    sink.clickError = new Error('Temporal unavailable');
    const res = await app.inject({ method: 'GET', url: `/r/${reviewToken()}` });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(REVIEW_URL);
  });

  it('redirects a HEAD request (link checkers) without counting it', async () => {
    const res = await app.inject({ method: 'HEAD', url: `/r/${reviewToken()}` });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(REVIEW_URL);
    expect(sink.clicks).toEqual([]);
  });

  it('answers a forged token with 400 and no redirect, whatever URL it names', async () => {
    const evil = forged(reviewToken('https://evil.example/phish'));
    const res = await app.inject({ method: 'GET', url: `/r/${evil}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expectPageHeaders(res);
    expect(res.body).toContain('This link is not valid');
    // A survey token is no review token; query strings are no redirect target either.
    const survey = await app.inject({ method: 'GET', url: `/r/${surveyToken()}?u=https://evil.example` });
    expect(survey.statusCode).toBe(400);
    expect(survey.headers.location).toBeUndefined();
    expect(sink.clicks).toEqual([]);
  });

  it('refuses a signed URL that is not http(s)', async () => {
    for (const u of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '//evil.example',
      'ftp://x.example',
    ]) {
      const res = await app.inject({ method: 'GET', url: `/r/${reviewToken(u)}` });
      expect(res.statusCode, u).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.body).not.toContain('alert(1)');
    }
    expect(sink.clicks).toEqual([]);
  });

  it('answers an expired token with 410 and no redirect', async () => {
    const res = await app.inject({ method: 'GET', url: `/r/${reviewToken(REVIEW_URL, NOW - 1000)}` });
    expect(res.statusCode).toBe(410);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('This link has expired');
    expect(sink.clicks).toEqual([]);
  });
});

describe('link helpers', () => {
  it('surveyLink signs the order and locale under the "survey" purpose', async () => {
    const link = surveyLink(`${PUBLIC_URL}/`, KEYS.links, { orderId: 'A-1001', locale: 'bn', expiresAt: NOW + WEEK });
    expect(link.startsWith(`${PUBLIC_URL}/survey/`)).toBe(true);
    const token = link.slice(`${PUBLIC_URL}/survey/`.length);
    expect(verifyToken(KEYS.links, 'survey', token, NOW)).toEqual({ ok: true, payload: { o: 'A-1001', l: 'bn' } });
    const res = await app.inject({ method: 'GET', url: new URL(link).pathname });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('আমাদের সেবা কেমন লেগেছে?');
  });

  it('reviewLink signs the order, URL and message key under "review-click", and refuses non-http URLs', async () => {
    const link = reviewLink(PUBLIC_URL, KEYS.links, {
      orderId: 'A-1001',
      reviewUrl: REVIEW_URL,
      messageKey: 'review_request',
      expiresAt: NOW + WEEK,
    });
    expect(link.startsWith(`${PUBLIC_URL}/r/`)).toBe(true);
    const token = link.slice(`${PUBLIC_URL}/r/`.length);
    expect(verifyToken(KEYS.links, 'review-click', token, NOW)).toEqual({
      ok: true,
      payload: { o: 'A-1001', u: REVIEW_URL, k: 'review_request' },
    });
    const res = await app.inject({ method: 'GET', url: new URL(link).pathname });
    expect(res.headers.location).toBe(REVIEW_URL);
    expect(() =>
      reviewLink(PUBLIC_URL, KEYS.links, {
        orderId: 'A-1001',
        reviewUrl: 'javascript:alert(1)',
        messageKey: 'review_request',
        expiresAt: NOW + WEEK,
      }),
    ).toThrow(/http/);
  });
});
