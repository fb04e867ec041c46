import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { statusOf } from '../../lib/http';
import { describeError } from '../../lib/redact';
import { readSurveyLink, type LinkKeys } from '../../messages/links';
import type { FeedbackInput } from '../../workflows/order/contract';
import { reviewRedirectRoutes } from './review';
import { formPageScope, pathToken, sendPage, tokenRoute } from './shell';
import {
  alreadyClosedPage,
  closedPage,
  errorPage,
  formPage,
  invalidPage,
  MAX_COMMENT,
  thanksPage,
  unreadablePage,
  type FormContext,
} from './survey-pages';
import { langOf, peekLang, TEXT } from './survey-text';

/**
 * The customer-facing survey page (1-5 stars and a comment), and the review-link redirect that counts
 * clicks (./review). Both links are signed tokens minted by the send activity (src/messages/links.ts):
 * the order, the locale and the review URL come only from the signature, never from the request.
 * Routes are `/survey/*` and `/r/*`, not `/:token`: tokens are longer than Fastify's 100-character
 * parameter limit. Register with `app.register(surveyRoutes, opts)` so the form parser stays in this scope.
 */
export interface SurveyOptions {
  sink: {
    submitFeedback(orderId: string, input: FeedbackInput): Promise<{ accepted: true; replaced: boolean }>;
    /** `variant`: the A/B variant of the review request the link came in (the click counts for it). */
    recordReviewClick(orderId: string, eventId: string, variant?: string): Promise<void>;
  };
  /** Verifies the signed 'survey' and 'review-click' tokens. */
  keys: LinkKeys;
  brandName: string;
  /** Another tenant's orders and brand, for links that name it (AFTERCARE_TENANTS); undefined: no such tenant. */
  tenantPages?: (tenant: string) => { sink: SurveyOptions['sink']; brandName: string } | undefined;
  now?: () => number;
}

const SOURCE = 'survey-page';

const route = tokenRoute('survey');

export async function surveyRoutes(app: FastifyInstance, opts: SurveyOptions): Promise<void> {
  const { sink, keys, brandName } = opts;
  const now = opts.now ?? Date.now;

  // JSON uses Fastify's own parser; the page's form posts urlencoded.
  const lang = (request: FastifyRequest) => peekLang(pathToken(request)) ?? 'en';
  formPageScope(app, 'survey', {
    unreadable: (request) => unreadablePage(lang(request)),
    failed: (request) => errorPage(lang(request), brandName),
  });

  /** The survey's order and language, or the page that says why the link does not work. */
  const survey = (request: FastifyRequest, reply: FastifyReply) => {
    const token = pathToken(request);
    const link = readSurveyLink(keys, token, now());
    if (!link.ok) {
      const expired = link.reason === 'expired';
      const lang = peekLang(token);
      return { reply: sendPage(reply, expired ? 410 : 400, expired ? closedPage(lang) : invalidPage(lang)) };
    }
    const { orderId, locale, name, tenant } = link.value;
    const own = tenant === undefined ? { sink, brandName } : opts.tenantPages?.(tenant);
    if (!own) return { reply: sendPage(reply, 400, invalidPage(peekLang(token))) };
    const ctx: FormContext = { orderId, lang: langOf(locale) ?? 'en', name };
    return { ctx, ...own };
  };

  app.get('/survey/*', route, async (request, reply) => {
    const s = survey(request, reply);
    if (!('ctx' in s)) return s.reply;
    return sendPage(reply, 200, formPage(s.ctx, s.brandName, {}));
  });

  app.post('/survey/*', route, async (request, reply) => {
    const s = survey(request, reply);
    if (!('ctx' in s)) return s.reply;
    const { orderId, lang } = s.ctx;
    const t = TEXT[lang];

    const fields = readFields(request.body);
    const rating = parseRating(fields.rating);
    const comment = normalizeComment(fields.comment);
    if (rating === undefined) {
      return sendPage(reply, 422, formPage(s.ctx, s.brandName, { error: t.chooseRating, comment }));
    }
    if (comment !== undefined && comment.length > MAX_COMMENT) {
      return sendPage(reply, 422, formPage(s.ctx, s.brandName, { error: t.commentTooLong, rating, comment }));
    }

    let replaced: boolean;
    try {
      ({ replaced } = await s.sink.submitFeedback(orderId, {
        rating,
        ...(comment !== undefined ? { comment } : {}),
        source: SOURCE,
      }));
    } catch (err) {
      const status = statusOf(err);
      if (status === 409) return sendPage(reply, 409, alreadyClosedPage(lang, s.brandName));
      if (status === 404) return sendPage(reply, 410, closedPage(lang));
      if (status === 422) {
        return sendPage(reply, 422, formPage(s.ctx, s.brandName, { error: t.checkAnswer, rating, comment }));
      }
      request.log.error({ error: describeError(err) }, 'survey answer not recorded');
      return sendPage(reply, 500, errorPage(lang, s.brandName, { rating, comment, ctx: s.ctx }));
    }
    return sendPage(reply, 200, thanksPage(lang, s.brandName, replaced));
  });

  reviewRedirectRoutes(app, {
    recordReviewClick: async (o, e, v, tenant) => {
      const own = tenant === undefined ? sink : opts.tenantPages?.(tenant)?.sink;
      // A tenant no longer served: the redirect still works, the click goes uncounted.
      await own?.recordReviewClick(o, e, v);
    },
    keys,
    now,
  });
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
