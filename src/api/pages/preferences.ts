import { createHash, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CHANNELS, type Channel } from '../../channels/types';
import { statusOf } from '../../lib/http';
import { describeError } from '../../lib/redact';
import { readPreferencesLink, type LinkKeys } from '../../messages/links';
import { SWITCHABLE_TOPICS } from '../../messages/topics';
import type { PreferencesSink } from '../../gateway/preferences';
import type { PreferencesChange } from '../../workflows/customer/contract';
import { PREFERENCES_SOURCE } from '../../workflows/customer/preferences-rules';
import type { CustomerEventSink } from '../webhooks/sink';
import { formPage, messagePage, orderedChannels, savedPage, stoppedPage, type FormState } from './preferences-pages';
import { PREFERENCES_TEXT } from './preferences-text';
import { formPageScope, pathToken, sendPage, tokenRoute } from './shell';
import { langOf, peekLang, type Lang } from './survey-text';

/**
 * The customer's own page: which channels, in which order; which topics; which language; a pause of marketing;
 * and a one-click "Stop all offers". Reached by a signed, expiring link in every message (src/messages/links.ts:
 * preferencesLink), which names the customer (and their tenant): nothing about whom it acts on comes from the
 * request. GET shows the form (one query), POST saves it (one update, answered once every running journey of the
 * customer has the change). Routes are `/preferences/*`: tokens are longer than Fastify's parameter limit.
 */
export interface PreferencesOptions {
  preferences: PreferencesSink;
  /** For "Stop all offers": the same opt-out the unsubscribe link records. */
  customers: CustomerEventSink;
  keys: LinkKeys;
  brandName: string;
  /** Another tenant's customers and brand, for links that name it (AFTERCARE_TENANTS); undefined: no such tenant. */
  tenantPages?: (
    tenant: string,
  ) => { preferences: PreferencesSink; customers: CustomerEventSink; brandName: string } | undefined;
  /** Languages the business writes messages in; default: the locale files in templates/locales. */
  locales?: readonly string[];
  now?: () => number;
}

const LOCALES_DIR = path.resolve(__dirname, '../../../templates/locales');
const route = tokenRoute('preferences');

/** The locale files the messages are written from: the languages the page offers. */
export function businessLocales(dir = LOCALES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

const formSchema = (locales: readonly string[], reachable: readonly Channel[]) =>
  z.object({
    lang: z.enum(['en', 'bn']).optional(),
    formId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
    action: z.enum(['save', 'resume', 'stop-offers']).default('save'),
    on: z.array(z.enum(CHANNELS)).default([]),
    positions: z.partialRecord(
      z.enum(CHANNELS),
      z.coerce
        .number()
        .int()
        .min(1)
        .max(reachable.length || 1),
    ),
    topic: z.array(z.enum(SWITCHABLE_TOPICS)).default([]),
    locale: z
      .string()
      .refine((l) => locales.includes(l))
      .optional(),
    pause: z.enum(['', '0', '30', '90']).default(''),
  });

export async function preferencesRoutes(app: FastifyInstance, opts: PreferencesOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const locales = opts.locales ?? businessLocales();

  const lang = (request: FastifyRequest) => pageLang(request, peekLang(pathToken(request)));
  formPageScope(app, 'preferences', {
    unreadable: (request) => messagePage(lang(request), 'unreadable'),
    failed: (request) => messagePage(lang(request), 'error'),
  });

  /** The customer the link names, and their tenant's gateways; or the page that says why the link does not work. */
  const customer = (request: FastifyRequest, reply: FastifyReply) => {
    const token = pathToken(request);
    const link = readPreferencesLink(opts.keys, token, now());
    const lang = pageLang(request, link.ok ? langOf(link.value.locale) : peekLang(token));
    if (!link.ok) {
      const expired = link.reason === 'expired';
      return { reply: sendPage(reply, expired ? 410 : 400, messagePage(lang, expired ? 'expired' : 'invalid')) };
    }
    const { customerId, tenant } = link.value;
    const own =
      tenant === undefined
        ? { preferences: opts.preferences, customers: opts.customers, brandName: opts.brandName }
        : opts.tenantPages?.(tenant);
    if (!own) return { reply: sendPage(reply, 400, messagePage(lang, 'invalid')) };
    return { customerId, token, lang, ...own };
  };

  const failed = (request: FastifyRequest, reply: FastifyReply, lang: Lang, err: unknown) => {
    if (statusOf(err) === 404) return sendPage(reply, 404, messagePage(lang, 'unknown'));
    request.log.error({ error: describeError(err) }, 'preferences not shown or saved');
    return sendPage(reply, 500, messagePage(lang, 'error'));
  };

  app.get('/preferences/*', route, async (request, reply) => {
    const c = customer(request, reply);
    if ('reply' in c) return c.reply;
    try {
      const view = await c.preferences.view(c.customerId);
      // The questionnaire lives under the same token (its own page, src/api/pages/questionnaire.ts).
      const questionnaireUrl = view.questionnaireInvited ? `/questionnaire/${c.token}?lang=${c.lang}` : undefined;
      return sendPage(
        reply,
        200,
        formPage({ ...formState(c.lang, c.brandName, view), ...(questionnaireUrl ? { questionnaireUrl } : {}) }),
      );
    } catch (err) {
      return failed(request, reply, c.lang, err);
    }
  });

  app.post('/preferences/*', route, async (request, reply) => {
    const c = customer(request, reply);
    if ('reply' in c) return c.reply;
    const fields = readForm(request.body);
    const lang = langOf(fields.lang) ?? c.lang;
    const t = PREFERENCES_TEXT[lang];
    try {
      const view = await c.preferences.view(c.customerId);
      const parsed = formSchema(locales, view.reachable).safeParse(fields);
      if (!parsed.success) {
        return sendPage(reply, 422, formPage({ ...formState(lang, c.brandName, view), error: t.checkForm }));
      }
      const form = parsed.data;
      const at = new Date(now()).toISOString();
      if (form.action === 'stop-offers') {
        await c.customers.recordCustomerEvent(c.customerId, {
          type: 'opt-out',
          channel: 'all',
          scope: 'marketing',
          source: PREFERENCES_SOURCE,
          // The same link, the same event: a double click changes nothing.
          eventId: `preferences-stop:${createHash('sha256').update(c.token, 'utf8').digest('hex')}`,
          at,
        });
        return sendPage(reply, 200, stoppedPage(lang));
      }
      const base = { eventId: `${PREFERENCES_SOURCE}:${form.formId}`, source: PREFERENCES_SOURCE, at };
      let change: PreferencesChange;
      if (form.action === 'resume') change = { ...base, pauseMarketingDays: 0 };
      else {
        const listed = orderedChannels(view);
        const channels = [...listed].sort(
          (a, b) => positionOf(form.positions, listed, a) - positionOf(form.positions, listed, b),
        );
        const off = listed.filter((ch) => !form.on.includes(ch));
        if (listed.length > 0 && off.length === listed.length) {
          return sendPage(reply, 422, formPage({ ...formState(lang, c.brandName, view), error: t.keepOneChannel }));
        }
        change = {
          ...base,
          ...(listed.length > 0 ? { channels, off } : {}),
          topicsOff: SWITCHABLE_TOPICS.filter((topic) => !form.topic.includes(topic)),
          ...(form.locale ? { locale: form.locale } : {}),
          ...(form.pause ? { pauseMarketingDays: Number(form.pause) as 0 | 30 | 90 } : {}),
        };
      }
      const saved = await c.preferences.save(c.customerId, change);
      return sendPage(reply, 200, savedPage(lang, c.brandName, saved, now()));
    } catch (err) {
      if (statusOf(err) === 422) {
        const view = await c.preferences.view(c.customerId);
        return sendPage(reply, 422, formPage({ ...formState(lang, c.brandName, view), error: t.checkForm }));
      }
      return failed(request, reply, lang, err);
    }
  });

  function formState(lang: Lang, brandName: string, view: FormState['view']): FormState {
    return { lang, brandName, view, locales, formId: randomUUID(), nowMs: now() };
  }
}

/** The page's language: the one the customer switched to (?lang=), else the link's. */
function pageLang(request: FastifyRequest, fromLink: Lang | undefined): Lang {
  const asked = (request.query as { lang?: unknown } | undefined)?.lang;
  return (asked === 'en' || asked === 'bn' ? asked : undefined) ?? fromLink ?? 'en';
}

/** A channel's position from the form; ties keep the page's order. */
function positionOf(positions: Record<string, number>, listed: Channel[], channel: Channel): number {
  return (positions[channel] ?? listed.indexOf(channel) + 1) * 10 + listed.indexOf(channel);
}

/** The form's fields (urlencoded text): repeated names as lists, positions as `pos-<channel>`. */
function readForm(body: unknown): Record<string, unknown> {
  if (typeof body !== 'string') return {};
  const params = new URLSearchParams(body);
  const one = (name: string) => (params.has(name) ? { [name]: params.get(name) } : {});
  const positions: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name.startsWith('pos-')) positions[name.slice(4)] = value;
  }
  return {
    ...one('lang'),
    ...one('formId'),
    ...one('action'),
    ...one('locale'),
    ...one('pause'),
    on: params.getAll('on'),
    topic: params.getAll('topic'),
    positions,
  };
}
