import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signToken, verifyToken, type TokenPayload } from '../tokens';
import { escapeHtml, pageShell, sendPage } from './pages';
import { describeError } from './unsubscribe';

/**
 * The customer-facing survey page (1-5 stars and a comment) and the review-link redirect that counts
 * clicks. Both links are signed tokens minted by the send activity (see `surveyLink` / `reviewLink`):
 * the order, the locale and the review URL come only from the signature, never from the request.
 * Routes are `/survey/*` and `/r/*`, not `/:token`: tokens are longer than Fastify's 100-character
 * parameter limit. Register with `app.register(surveyRoutes, opts)` so the form parser stays in this scope.
 */
export interface SurveyOptions {
  sink: {
    submitFeedback(orderId: string, input: unknown): Promise<{ accepted: true; replaced: boolean }>;
    recordReviewClick(orderId: string, eventId: string): Promise<void>;
  };
  /** AFTERCARE_SECRET: verifies the signed 'survey' and 'review-click' tokens. */
  secret: string;
  brandName: string;
  now?: () => number;
}

/** The link to the customer's rating page, for survey and survey_reminder messages. */
export function surveyLink(
  publicUrl: string,
  secret: string,
  p: { orderId: string; locale: string; expiresAt: number },
): string {
  const token = signToken(secret, 'survey', { o: p.orderId, l: p.locale }, { expiresAt: p.expiresAt });
  return `${publicUrl.replace(/\/+$/, '')}/survey/${token}`;
}

/** The counted redirect to the business's review page, for review_request messages. */
export function reviewLink(
  publicUrl: string,
  secret: string,
  p: { orderId: string; reviewUrl: string; messageKey: string; expiresAt: number },
): string {
  // The redirect refuses anything but http(s); fail at send time rather than mail a link that cannot work.
  if (!safeHttpUrl(p.reviewUrl)) throw new Error('reviewLink: reviewUrl must be an http(s) URL');
  const token = signToken(
    secret,
    'review-click',
    { o: p.orderId, u: p.reviewUrl, k: p.messageKey },
    { expiresAt: p.expiresAt },
  );
  return `${publicUrl.replace(/\/+$/, '')}/r/${token}`;
}

const SOURCE = 'survey-page';
const MAX_COMMENT = 2000;
const MAX_TOKEN_LENGTH = 4096;
/** How long a review click may hold up the redirect; the click is counted in the background after that. */
const CLICK_RECORD_WAIT_MS = 1500;

// The token is a credential for this one link: keep it out of the request log.
const surveyLogSerializers = {
  req: (req: FastifyRequest) => ({ method: req.method, url: '/survey/[token]', remoteAddress: req.ip }),
};
const reviewLogSerializers = {
  req: (req: FastifyRequest) => ({ method: req.method, url: '/r/[token]', remoteAddress: req.ip }),
};

type Lang = 'en' | 'bn';
type TokenCheck =
  { ok: true; token: string; payload: TokenPayload } | { ok: false; status: 400 | 410; lang: Lang | undefined };

export async function surveyRoutes(app: FastifyInstance, opts: SurveyOptions): Promise<void> {
  if (!opts.secret) throw new Error('surveyRoutes: secret is required');
  const { sink, secret, brandName } = opts;
  const now = opts.now ?? Date.now;

  // The page's form posts urlencoded; JSON uses Fastify's own parser. The raw string is parsed in the handler,
  // so a parser some parent scope registered for this type (also returning the raw text) works the same.
  if (app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.removeContentTypeParser('application/x-www-form-urlencoded');
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  // Pages, not JSON: a body too large, a malformed body or an outage still gets the customer a readable page.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const lang = peekLang(tokenOf(request));
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendPage(reply, err.statusCode, unreadablePage(lang ?? 'en'));
    }
    request.log.error({ error: describeError(err) }, 'survey page failed');
    return sendPage(reply, 500, errorPage(lang ?? 'en', brandName));
  });

  const check = (request: FastifyRequest, purpose: 'survey' | 'review-click'): TokenCheck => {
    const token = tokenOf(request);
    const verified = verifyToken(secret, purpose, token, now());
    if (!verified.ok) return { ok: false, status: verified.reason === 'expired' ? 410 : 400, lang: peekLang(token) };
    return { ok: true, token, payload: verified.payload };
  };

  /** The survey's order and language, or the page that says why the link does not work. */
  const survey = (request: FastifyRequest, reply: FastifyReply) => {
    const c = check(request, 'survey');
    const orderId = c.ok ? c.payload.o : undefined;
    if (!c.ok || typeof orderId !== 'string' || orderId === '') {
      const lang = c.ok ? langOf(c.payload.l) : c.lang;
      const status = c.ok ? 400 : c.status;
      return { reply: sendPage(reply, status, status === 410 ? closedPage(lang) : invalidPage(lang)) };
    }
    const lang = langOf(c.payload.l) ?? 'en';
    const name = typeof c.payload.n === 'string' ? c.payload.n.trim().slice(0, 60) : '';
    const ctx: FormContext = { orderId, lang, name };
    return { ctx };
  };

  app.get('/survey/*', { logSerializers: surveyLogSerializers }, async (request, reply) => {
    const s = survey(request, reply);
    if (!s.ctx) return s.reply;
    return sendPage(reply, 200, formPage(s.ctx, brandName, {}));
  });

  app.post('/survey/*', { logSerializers: surveyLogSerializers }, async (request, reply) => {
    const s = survey(request, reply);
    if (!s.ctx) return s.reply;
    const { orderId, lang } = s.ctx;
    const t = TEXT[lang];

    const fields = readFields(request.body);
    const rating = parseRating(fields.rating);
    const comment = normalizeComment(fields.comment);
    if (rating === undefined) {
      return sendPage(reply, 422, formPage(s.ctx, brandName, { error: t.chooseRating, comment }));
    }
    if (comment !== undefined && comment.length > MAX_COMMENT) {
      return sendPage(reply, 422, formPage(s.ctx, brandName, { error: t.commentTooLong, rating, comment }));
    }

    let replaced: boolean;
    try {
      ({ replaced } = await sink.submitFeedback(orderId, {
        rating,
        ...(comment !== undefined ? { comment } : {}),
        source: SOURCE,
      }));
    } catch (err) {
      const status = statusOf(err);
      if (status === 409) return sendPage(reply, 409, alreadyClosedPage(lang, brandName));
      if (status === 404) return sendPage(reply, 410, closedPage(lang));
      if (status === 422) {
        return sendPage(reply, 422, formPage(s.ctx, brandName, { error: t.checkAnswer, rating, comment }));
      }
      request.log.error({ error: describeError(err) }, 'survey answer not recorded');
      return sendPage(reply, 500, errorPage(lang, brandName, { rating, comment, ctx: s.ctx }));
    }
    return sendPage(reply, 200, thanksPage(lang, brandName, replaced));
  });

  app.get('/r/*', { logSerializers: reviewLogSerializers }, async (request, reply) => {
    const c = check(request, 'review-click');
    if (!c.ok) return sendPage(reply, c.status, c.status === 410 ? linkExpiredPage() : linkInvalidPage());
    const orderId = c.payload.o;
    const target = safeHttpUrl(c.payload.u);
    if (typeof orderId !== 'string' || orderId === '' || !target) return sendPage(reply, 400, linkInvalidPage());

    // HEAD is what link checkers send, not customers: redirect, but count nothing.
    if (request.method === 'GET') {
      const hash = createHash('sha256').update(c.token, 'utf8').digest('hex').slice(0, 16);
      // Per link and minute: a double tap or a mail scanner's prefetch right after is one click.
      const eventId = `click:${hash}:${Math.floor(now() / 60_000)}`;
      await bestEffort(request, () => sink.recordReviewClick(orderId, eventId));
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

// ---------------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------------

function tokenOf(request: FastifyRequest): string {
  const token = (request.params as { '*'?: string } | undefined)?.['*'] ?? '';
  return token.includes('/') ? '' : token;
}

function langOf(locale: unknown): Lang | undefined {
  if (typeof locale !== 'string' || locale === '') return undefined;
  return locale.toLowerCase().split(/[-_]/)[0] === 'bn' ? 'bn' : 'en';
}

/**
 * The locale a failed token claims, only to pick the language of the "not valid" / "closed" page. Read
 * without trusting it: it selects between fixed texts and nothing else.
 */
function peekLang(token: string): Lang | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const body = token.split('.')[0];
  if (!body || !/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const d = (claims as { d?: unknown } | null)?.d;
    return typeof d === 'object' && d !== null ? langOf((d as { l?: unknown }).l) : undefined;
  } catch {
    return undefined;
  }
}

/** Form fields from the page (urlencoded text) or from a JSON body. */
function readFields(body: unknown): { rating?: unknown; comment?: unknown } {
  if (typeof body === 'string') {
    const params = new URLSearchParams(body);
    return {
      ...(params.has('rating') ? { rating: params.get('rating') } : {}),
      ...(params.has('comment') ? { comment: params.get('comment') } : {}),
    };
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    return { rating: b.rating, comment: b.comment };
  }
  return {};
}

function parseRating(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1 && value <= 5 ? value : undefined;
  if (typeof value === 'string' && /^\s*[1-5]\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

/**
 * Browsers submit a textarea's line breaks as CRLF but count them as one character for maxlength: normalize, so a
 * comment the page accepted is never rejected for its own line breaks.
 */
function normalizeComment(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const comment = value.replace(/\r\n?/g, '\n').trim();
  return comment === '' ? undefined : comment;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { status?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.status === 'number' ? e.status : undefined;
}

/** The URL, normalized, when it is an absolute http(s) URL; undefined for anything else (javascript:, data:, …). */
function safeHttpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

interface FormContext {
  orderId: string;
  lang: Lang;
  /** The customer's first name, when the token carries one. */
  name: string;
}

const TEXT = {
  en: {
    title: 'How did we do?',
    hello: (name: string) => `Hi ${name},`,
    intro: (brand: string, orderId: string) =>
      `Tell us how your order ${orderId} from ${brand} went. It only takes a few seconds.`,
    legend: 'Your rating',
    stars: ['1 star: very poor', '2 stars: poor', '3 stars: okay', '4 stars: good', '5 stars: excellent'],
    scale: '1 = very poor, 5 = excellent',
    comment: 'Anything you would like to tell us? (optional)',
    send: 'Send my answer',
    chooseRating: 'Please choose a rating from 1 to 5 stars.',
    commentTooLong: 'Please keep your comment to 2,000 characters or fewer.',
    checkAnswer: 'We could not save that answer. Please check it and send it again.',
    thanks: 'Thank you!',
    thanksBody: (brand: string) => `Your answer helps ${brand} do better.`,
    updated: 'We’ve updated your answer.',
    canChange: 'You can change your answer from this same link until we follow up.',
    change: 'Change my answer',
    invalid: 'This link is not valid',
    invalidBody: 'Please open the survey from the message we sent you, using the whole link.',
    closed: 'This survey has closed',
    closedBody: 'Thank you for wanting to tell us. This link no longer takes answers.',
    alreadyClosed: 'Thanks — this survey is closed',
    alreadyClosedBody: (brand: string) =>
      `We have already followed up on your order, so this survey takes no more answers. If something is still not right, please contact ${brand}.`,
    unreadable: 'We could not read your answer',
    unreadableBody: 'Please go back, check your answer and send it again.',
    error: 'Something went wrong',
    errorBody: 'We could not save your answer just now. Please try again in a few minutes.',
    linkInvalidBody: 'Please use the link exactly as we sent it to you.',
    linkExpired: 'This link has expired',
    linkExpiredBody: 'Please use the link in a more recent message from us.',
  },
  bn: {
    title: 'আমাদের সেবা কেমন লেগেছে?',
    hello: (name: string) => `প্রিয় ${name},`,
    intro: (brand: string, orderId: string) =>
      `${brand}-এর অর্ডার ${orderId} নিয়ে আপনার অভিজ্ঞতা কেমন ছিল, জানাবেন? মাত্র কয়েক সেকেন্ড লাগবে।`,
    legend: 'আপনার রেটিং',
    stars: ['১ তারা: খুব খারাপ', '২ তারা: খারাপ', '৩ তারা: মোটামুটি', '৪ তারা: ভালো', '৫ তারা: চমৎকার'],
    scale: '১ = খুব খারাপ, ৫ = চমৎকার',
    comment: 'আর কিছু বলতে চান? (ঐচ্ছিক)',
    send: 'উত্তর পাঠান',
    chooseRating: 'অনুগ্রহ করে ১ থেকে ৫-এর মধ্যে একটি রেটিং বেছে নিন।',
    commentTooLong: 'অনুগ্রহ করে মন্তব্য ২,০০০ অক্ষরের মধ্যে রাখুন।',
    checkAnswer: 'উত্তরটি সংরক্ষণ করা যায়নি। একবার দেখে নিয়ে আবার পাঠান।',
    thanks: 'ধন্যবাদ!',
    thanksBody: (brand: string) => `আপনার মতামত ${brand}-কে আরও ভালো করতে সাহায্য করবে।`,
    updated: 'আপনার উত্তরটি আপডেট করা হয়েছে।',
    canChange: 'আমরা আপনার সাথে যোগাযোগ না করা পর্যন্ত এই লিংক থেকেই উত্তর বদলাতে পারবেন।',
    change: 'উত্তর বদলান',
    invalid: 'এই লিংকটি সঠিক নয়',
    invalidBody: 'আমাদের পাঠানো বার্তা থেকে পুরো লিংকটি ব্যবহার করে জরিপটি খুলুন।',
    closed: 'এই জরিপটি বন্ধ হয়ে গেছে',
    closedBody: 'মতামত জানাতে চাওয়ার জন্য ধন্যবাদ। এই লিংকে এখন আর উত্তর নেওয়া হয় না।',
    alreadyClosed: 'ধন্যবাদ — এই জরিপটি বন্ধ হয়ে গেছে',
    alreadyClosedBody: (brand: string) =>
      `আপনার অর্ডার নিয়ে আমরা ইতিমধ্যে যোগাযোগ করেছি, তাই এই জরিপে আর উত্তর নেওয়া হচ্ছে না। এখনও কোনো সমস্যা থাকলে ${brand}-এর সাথে যোগাযোগ করুন।`,
    unreadable: 'আপনার উত্তরটি পড়া যায়নি',
    unreadableBody: 'অনুগ্রহ করে আগের পাতায় ফিরে উত্তরটি দেখে নিয়ে আবার পাঠান।',
    error: 'কিছু একটা সমস্যা হয়েছে',
    errorBody: 'এই মুহূর্তে আপনার উত্তর সংরক্ষণ করা যায়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।',
    linkInvalidBody: 'আমাদের পাঠানো লিংকটি হুবহু ব্যবহার করুন।',
    linkExpired: 'এই লিংকটির মেয়াদ শেষ হয়ে গেছে',
    linkExpiredBody: 'অনুগ্রহ করে আমাদের সাম্প্রতিক কোনো বার্তার লিংক ব্যবহার করুন।',
  },
} satisfies Record<Lang, unknown>;

const STAR_RULES = [1, 2, 3, 4, 5]
  .map(
    (n) =>
      `  .stars:has(input:nth-of-type(${n}):checked) label:nth-of-type(-n+${n}) { color: #d97706; }\n` +
      `  @media (hover: hover) { .stars:has(label:nth-of-type(${n}):hover) label:nth-of-type(-n+${n}) { color: #f59e0b; } }`,
  )
  .join('\n');

const PAGE_CSS = `  .alt { color: #57606a; }
  .muted { color: #57606a; font-size: .9rem; }
  .error { color: #b42318; font-weight: 600; background: #fef3f2; border-radius: 8px; padding: .5rem .75rem; }
  fieldset { border: 0; padding: 0; margin: 0 0 1rem; min-width: 0; }
  legend { font-weight: 600; padding: 0; margin-bottom: .25rem; }
  .stars { position: relative; display: flex; gap: .25rem; }
  .stars input { position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; }
  .stars label { font-size: 2.5rem; line-height: 1; min-width: 44px; min-height: 44px; display: flex; align-items: center; justify-content: center; color: #c9ced6; cursor: pointer; border-radius: 8px; user-select: none; }
  .stars input:checked + label { color: #d97706; }
  .stars input:focus-visible + label { outline: 3px solid #0b3d91; outline-offset: 2px; }
${STAR_RULES}
  .sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }
  label.field { display: block; font-weight: 600; margin-bottom: .25rem; }
  textarea { box-sizing: border-box; width: 100%; min-height: 7rem; font: inherit; padding: .6rem .75rem; border: 1px solid #d0d7de; border-radius: 8px; resize: vertical; margin-bottom: 1rem; }
  textarea:focus-visible { outline: 3px solid #0b3d91; outline-offset: 1px; }
  button:focus-visible, a:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }
  a { color: #0b5cd5; }`;

function layout(lang: Lang, title: string, body: string): string {
  return pageShell(lang, title, body, PAGE_CSS);
}

function formPage(
  ctx: FormContext,
  brandName: string,
  state: { error?: string; rating?: number; comment?: string | undefined },
): string {
  const t = TEXT[ctx.lang];
  const e = escapeHtml;
  const error = state.error ? `<p class="error" id="form-error" role="alert">${e(state.error)}</p>\n` : '';
  const described = state.error ? ' aria-describedby="form-error"' : '';
  const stars = t.stars
    .map((label, i) => {
      const value = i + 1;
      const checked = state.rating === value ? ' checked' : '';
      // `required` on one radio makes the whole group required.
      const required = value === 1 ? ' required' : '';
      return `<input type="radio" id="rating-${value}" name="rating" value="${value}"${checked}${required}><label for="rating-${value}"><span aria-hidden="true">★</span><span class="sr">${e(label)}</span></label>`;
    })
    .join('\n');
  const hello = ctx.name ? `<p>${e(t.hello(ctx.name))}</p>\n` : '';
  // No action attribute: the form posts to this very URL, token included.
  return layout(
    ctx.lang,
    `${e(t.title)} · ${e(brandName)}`,
    `<h1>${e(t.title)}</h1>
${hello}<p>${e(t.intro(brandName, ctx.orderId))}</p>
${error}<form method="post">
<fieldset${described}>
<legend>${e(t.legend)}</legend>
<div class="stars">
${stars}
</div>
<p class="muted">${e(t.scale)}</p>
</fieldset>
<label class="field" for="comment">${e(t.comment)}</label>
<textarea id="comment" name="comment" maxlength="${MAX_COMMENT}" rows="5">${e(state.comment ?? '')}</textarea>
<button type="submit">${e(t.send)}</button>
</form>`,
  );
}

function thanksPage(lang: Lang, brandName: string, replaced: boolean): string {
  const t = TEXT[lang];
  const e = escapeHtml;
  const updated = replaced ? `<p><strong>${e(t.updated)}</strong></p>\n` : '';
  // href="" is this very URL: the same link shows the form again.
  return layout(
    lang,
    `${e(t.thanks)} · ${e(brandName)}`,
    `<h1>${e(t.thanks)}</h1>
${updated}<p>${e(t.thanksBody(brandName))}</p>
<p>${e(t.canChange)}</p>
<p><a href="">${e(t.change)}</a></p>`,
  );
}

/** A message page in the token's language; when the language is unknown, English with a Bengali line. */
function messagePage(lang: Lang | undefined, pick: (t: (typeof TEXT)['en']) => [string, string]): string {
  const [title, body] = pick(TEXT[lang ?? 'en']);
  const e = escapeHtml;
  const alt = lang === undefined ? pick(TEXT.bn) : undefined;
  const altHtml = alt ? `\n<p class="alt" lang="bn">${e(alt[0])}। ${e(alt[1])}</p>` : '';
  return layout(lang ?? 'en', e(title), `<h1>${e(title)}</h1>\n<p>${e(body)}</p>${altHtml}`);
}

function invalidPage(lang: Lang | undefined): string {
  return messagePage(lang, (t) => [t.invalid, t.invalidBody]);
}

function closedPage(lang: Lang | undefined): string {
  return messagePage(lang, (t) => [t.closed, t.closedBody]);
}

function alreadyClosedPage(lang: Lang, brandName: string): string {
  return messagePage(lang, (t) => [t.alreadyClosed, t.alreadyClosedBody(brandName)]);
}

function unreadablePage(lang: Lang): string {
  return messagePage(lang, (t) => [t.unreadable, t.unreadableBody]);
}

function errorPage(
  lang: Lang,
  brandName: string,
  retry?: { rating: number; comment: string | undefined; ctx: FormContext },
): string {
  if (!retry) return messagePage(lang, (t) => [t.error, t.errorBody]);
  // Keep what the customer wrote: the form again, with the answer filled in, ready to resend.
  const t = TEXT[lang];
  return formPage(retry.ctx, brandName, {
    error: `${t.error}. ${t.errorBody}`,
    rating: retry.rating,
    comment: retry.comment,
  });
}

/** Review links carry no locale: English, with a Bengali line. */
function linkInvalidPage(): string {
  return messagePage(undefined, (t) => [t.invalid, t.linkInvalidBody]);
}

function linkExpiredPage(): string {
  return messagePage(undefined, (t) => [t.linkExpired, t.linkExpiredBody]);
}
