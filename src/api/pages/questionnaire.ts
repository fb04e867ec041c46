import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { QuestionnaireSink } from '../../gateway/questionnaire';
import { statusOf } from '../../lib/http';
import { describeError } from '../../lib/redact';
import { readPreferencesLink, type LinkKeys } from '../../messages/links';
import type { Question } from '../../playbook/questionnaire';
import { DEFAULT_TEXT_MAX, parseOccasionDate } from '../../rules/questionnaire';
import type { QuestionnaireAnswers } from '../../workflows/customer/contract';
import { questionnaireFormPage, questionnaireMessagePage, questionnaireThanksPage } from './questionnaire-pages';
import { formPageScope, pathToken, sendPage, tokenRoute } from './shell';
import { langOf, peekLang, type Lang } from './survey-text';

/**
 * The questionnaire for regulars on the customer's own page: the playbook's questions (interests, occasions, likes
 * and dislikes) in their language. Reached by the signed, expiring link of the questionnaire_invite message
 * (preferencesLink with page 'questionnaire'), which names the customer and their tenant: nothing about whom it acts
 * on comes from the request. GET shows the form (one query); POST checks the answers at the edge against the
 * playbook's questions and saves them (one query and one update, which gives every running journey the new personal
 * data). Routes are `/questionnaire/*`: tokens are longer than Fastify's parameter limit.
 */
export interface QuestionnaireOptions {
  questionnaire: QuestionnaireSink;
  keys: LinkKeys;
  brandName: string;
  /** Another tenant's customers and brand, for links that name it (AFTERCARE_TENANTS); undefined: no such tenant. */
  tenantPages?: (tenant: string) => { questionnaire: QuestionnaireSink; brandName: string } | undefined;
  now?: () => number;
}

const route = tokenRoute('questionnaire');

/** The answers a form may carry, from the playbook's questions: zod at the edge, the lifecycle checks again. */
export function answersSchema(questions: readonly Question[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const q of questions) {
    const ids = (q.options ?? []).map((o) => o.id) as [string, ...string[]];
    if (q.kind === 'choice') shape[q.id] = z.enum(ids).optional();
    if (q.kind === 'multi') {
      shape[q.id] = z
        .array(z.enum(ids))
        .refine((v) => new Set(v).size === v.length, 'names an option twice')
        .optional();
    }
    if (q.kind === 'text')
      shape[q.id] = z
        .string()
        .max(q.maxLength ?? DEFAULT_TEXT_MAX)
        .optional();
    if (q.kind === 'date') {
      shape[q.id] = z
        .string()
        .refine((d) => parseOccasionDate(d) !== undefined, 'is not a day of the year')
        .optional();
    }
  }
  return z.strictObject(shape);
}

export async function questionnaireRoutes(app: FastifyInstance, opts: QuestionnaireOptions): Promise<void> {
  const now = opts.now ?? Date.now;

  const lang = (request: FastifyRequest) => peekLang(pathToken(request)) ?? 'en';
  formPageScope(app, 'questionnaire', {
    unreadable: (request) => questionnaireMessagePage(lang(request), 'invalid'),
    failed: (request) => questionnaireMessagePage(lang(request), 'error'),
  });

  /** The link's customer, language and tenant, or the page that says why it does not work. */
  const open = (request: FastifyRequest, reply: FastifyReply) => {
    const token = pathToken(request);
    const link = readPreferencesLink(opts.keys, token, now());
    const asked = langOf((request.query as { lang?: unknown } | undefined)?.lang);
    if (!link.ok) {
      const expired = link.reason === 'expired';
      const lang = asked ?? peekLang(token) ?? 'en';
      return {
        reply: sendPage(reply, expired ? 410 : 400, questionnaireMessagePage(lang, expired ? 'expired' : 'invalid')),
      };
    }
    const { customerId, locale, tenant } = link.value;
    const lang: Lang = asked ?? langOf(locale) ?? 'en';
    const own = tenant === undefined ? opts : opts.tenantPages?.(tenant);
    if (!own) return { reply: sendPage(reply, 400, questionnaireMessagePage(lang, 'invalid')) };
    const path = `/questionnaire/${token}`;
    return {
      customerId,
      lang,
      sink: own.questionnaire,
      brandName: own.brandName,
      action: `${path}?lang=${lang}`,
      otherLanguage: `${path}?lang=${lang === 'en' ? 'bn' : 'en'}`,
    };
  };

  /** The form as the lifecycle has it, or the page that says why there is none. */
  const formOf = async (page: Exclude<ReturnType<typeof open>, { reply: unknown }>, reply: FastifyReply) => {
    try {
      const form = await page.sink.form(page.customerId);
      // Every message's preferences token reaches this page: it opens only once the invitation went.
      if (!form.invited) return { reply: sendPage(reply, 403, questionnaireMessagePage(page.lang, 'notYet')) };
      return { form };
    } catch (err) {
      if (statusOf(err) === 404) return { reply: sendPage(reply, 410, questionnaireMessagePage(page.lang, 'none')) };
      throw err;
    }
  };

  app.get('/questionnaire/*', route, async (request, reply) => {
    const page = open(request, reply);
    if ('reply' in page) return page.reply;
    const found = await formOf(page, reply);
    if ('reply' in found) return found.reply;
    const { form } = found;
    const ctx = { ...page, name: form.name, questions: form.questionnaire.questions };
    return sendPage(reply, 200, questionnaireFormPage(ctx, form.answers, randomUUID()));
  });

  app.post('/questionnaire/*', route, async (request, reply) => {
    const page = open(request, reply);
    if ('reply' in page) return page.reply;
    const found = await formOf(page, reply);
    if ('reply' in found) return found.reply;
    const { form } = found;
    const ctx = { ...page, name: form.name, questions: form.questionnaire.questions };
    const { fields, formId } = readForm(request.body, form.questionnaire.questions);
    const parsed = answersSchema(form.questionnaire.questions).safeParse(fields);
    if (!parsed.success || !formId) {
      const why = parsed.success
        ? 'formId'
        : parsed.error.issues.map((i) => `${labelOf(form.questionnaire.questions, i.path[0], page.lang)}`).join(', ');
      return sendPage(reply, 422, questionnaireFormPage(ctx, fields as QuestionnaireAnswers, randomUUID(), why));
    }
    const answers = parsed.data as QuestionnaireAnswers;
    try {
      await page.sink.answer(page.customerId, answers, `page:${formId}`, new Date(now()).toISOString());
    } catch (err) {
      const status = statusOf(err);
      if (status === 422) {
        return sendPage(reply, 422, questionnaireFormPage(ctx, answers, randomUUID(), (err as Error).message));
      }
      if (status === 404) return sendPage(reply, 410, questionnaireMessagePage(page.lang, 'none'));
      if (status === 403) return sendPage(reply, 403, questionnaireMessagePage(page.lang, 'notYet'));
      request.log.error({ error: describeError(err) }, 'questionnaire answers not recorded');
      return sendPage(reply, 500, questionnaireMessagePage(page.lang, 'error'));
    }
    return sendPage(reply, 200, questionnaireThanksPage(page.lang, page.brandName, page.action));
  });
}

const labelOf = (questions: readonly Question[], id: unknown, lang: Lang) => {
  const q = questions.find((x) => x.id === id);
  const label = q?.label;
  return typeof label === 'string' ? label : (label?.[lang] ?? label?.en ?? String(id));
};

/**
 * The form's fields as answers: a choice and a text once, a multi as a list, a date from its month and day
 * (both empty: no answer); empty answers are left out (every question is optional). Unknown fields stay, for the
 * schema to refuse. A JSON body is read as answers as they are.
 */
function readForm(body: unknown, questions: readonly Question[]): { fields: Record<string, unknown>; formId?: string } {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { formId, ...fields } = body as Record<string, unknown>;
    return { fields, ...(typeof formId === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(formId) ? { formId } : {}) };
  }
  const params = new URLSearchParams(typeof body === 'string' ? body : '');
  const formId = params.get('formId') ?? undefined;
  const fields: Record<string, unknown> = {};
  const known = new Set<string>(['formId']);
  for (const q of questions) {
    if (q.kind === 'multi') {
      known.add(q.id);
      const values = params.getAll(q.id);
      if (values.length > 0) fields[q.id] = values;
    } else if (q.kind === 'date') {
      known.add(`${q.id}.month`).add(`${q.id}.day`);
      const month = params.get(`${q.id}.month`) ?? '';
      const day = params.get(`${q.id}.day`) ?? '';
      if (month !== '' || day !== '') fields[q.id] = `${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
    } else {
      known.add(q.id);
      const value = params.get(q.id)?.replace(/\r\n?/g, '\n').trim();
      if (value) fields[q.id] = value;
    }
  }
  for (const key of params.keys()) if (!known.has(key)) fields[key] = params.get(key);
  return { fields, ...(formId && /^[A-Za-z0-9-]{8,64}$/.test(formId) ? { formId } : {}) };
}
