/**
 * The questionnaire's HTML: a mobile-first form without scripts (the CSP allows none), the thanks, and the pages
 * that say why a link does not work. Questions and options are the playbook's, in the page's language.
 */
import { localize } from '../../messages/localized';
import type { Question } from '../../playbook/questionnaire';
import { DEFAULT_TEXT_MAX, parseOccasionDate } from '../../rules/questionnaire';
import type { QuestionnaireAnswers } from '../../workflows/customer/contract';
import { QUESTIONNAIRE_TEXT } from './questionnaire-text';
import { escapeHtml as e, pageShell } from './shell';
import type { Lang } from './survey-text';

const CSS = `  .muted { color: #57606a; font-size: .9rem; }
  .lang { text-align: right; margin: 0 0 .5rem; font-size: .9rem; }
  .error { color: #b42318; font-weight: 600; background: #fef3f2; border-radius: 8px; padding: .5rem .75rem; }
  fieldset { border: 0; padding: 0; margin: 0 0 1.25rem; min-width: 0; }
  legend { font-weight: 600; padding: 0; margin-bottom: .4rem; }
  .option { display: flex; align-items: center; gap: .6rem; min-height: 44px; }
  .option input { width: 1.25rem; height: 1.25rem; margin: 0; }
  .date { display: flex; gap: .5rem; }
  select, textarea { box-sizing: border-box; font: inherit; padding: .6rem .75rem; border: 1px solid #d0d7de; border-radius: 8px; background: #fff; }
  select { min-height: 44px; flex: 1; }
  textarea { width: 100%; min-height: 5rem; resize: vertical; }
  .sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }
  input:focus-visible, select:focus-visible, textarea:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }
  a { color: #0b5cd5; }`;

export interface QuestionnairePageContext {
  lang: Lang;
  name: string;
  brandName: string;
  questions: readonly Question[];
  /** The page's own path (with its language), where the form posts and the links point. */
  action: string;
  /** The same page in the other language. */
  otherLanguage: string;
}

const label = (text: Question['label'], lang: Lang) => localize(text, lang, 'en') ?? '';

export function questionnaireFormPage(
  ctx: QuestionnairePageContext,
  answers: QuestionnaireAnswers,
  /** Names this form: posted twice, it is one answer. */
  formId: string,
  error?: string,
): string {
  const t = QUESTIONNAIRE_TEXT[ctx.lang];
  const fields = ctx.questions.map((q) => field(q, answers[q.id], ctx.lang)).join('\n');
  const alert = error ? `<p class="error" id="form-error" role="alert">${e(t.checkAnswers)}: ${e(error)}</p>\n` : '';
  const body = `<p class="lang"><a href="${e(ctx.otherLanguage)}" lang="${ctx.lang === 'en' ? 'bn' : 'en'}">${e(t.otherLanguage)}</a></p>
<h1>${e(t.title)}</h1>
<p>${e(t.hello(ctx.name))}</p>
<p class="muted">${e(t.intro(ctx.brandName))}</p>
${alert}<form method="post" action="${e(ctx.action)}">
<input type="hidden" name="formId" value="${e(formId)}">
${fields}
<button type="submit">${e(t.send)}</button>
</form>`;
  return pageShell(ctx.lang, e(t.title), body, CSS);
}

function field(q: Question, answer: string | string[] | undefined, lang: Lang): string {
  const t = QUESTIONNAIRE_TEXT[lang];
  const name = e(q.id);
  const legend = `<legend>${e(label(q.label, lang))}</legend>`;
  const chosen = new Set(typeof answer === 'string' ? [answer] : (answer ?? []));
  switch (q.kind) {
    case 'choice':
    case 'multi': {
      const type = q.kind === 'choice' ? 'radio' : 'checkbox';
      const options = (q.options ?? [])
        .map((o) => {
          const id = e(`${q.id}-${o.id}`);
          const checked = chosen.has(o.id) ? ' checked' : '';
          return `<div class="option"><input type="${type}" id="${id}" name="${name}" value="${e(o.id)}"${checked}><label for="${id}">${e(label(o.label, lang))}</label></div>`;
        })
        .join('\n');
      return `<fieldset>${legend}\n${options}\n</fieldset>`;
    }
    case 'text': {
      const max = q.maxLength ?? DEFAULT_TEXT_MAX;
      const value = typeof answer === 'string' ? answer : '';
      return `<fieldset>${legend}\n<label class="sr" for="${name}">${e(label(q.label, lang))}</label><textarea id="${name}" name="${name}" maxlength="${max}">${e(value)}</textarea>\n</fieldset>`;
    }
    case 'date': {
      const date = typeof answer === 'string' ? parseOccasionDate(answer) : undefined;
      const months = t.months
        .map((m, i) => `<option value="${i + 1}"${date?.month === i + 1 ? ' selected' : ''}>${e(m)}</option>`)
        .join('');
      const days = Array.from({ length: 31 }, (_, i) => i + 1)
        .map((d) => `<option value="${d}"${date?.day === d ? ' selected' : ''}>${d}</option>`)
        .join('');
      return `<fieldset>${legend}\n<div class="date"><label class="sr" for="${name}-month">${e(t.month)}</label><select id="${name}-month" name="${name}.month"><option value="">${e(t.month)}</option>${months}</select><label class="sr" for="${name}-day">${e(t.day)}</label><select id="${name}-day" name="${name}.day"><option value="">${e(t.day)}</option>${days}</select></div>\n</fieldset>`;
    }
  }
}

export function questionnaireThanksPage(lang: Lang, brandName: string, back: string): string {
  const t = QUESTIONNAIRE_TEXT[lang];
  return pageShell(
    lang,
    e(t.thanks),
    `<h1>${e(t.thanks)}</h1>\n<p>${e(t.thanksBody(brandName))}</p>\n<p><a href="${e(back)}">${e(t.change)}</a></p>`,
    CSS,
  );
}

/** A page that says why there is no form, in the page's language. */
export function questionnaireMessagePage(
  lang: Lang,
  which: 'invalid' | 'expired' | 'none' | 'notYet' | 'error',
): string {
  const t = QUESTIONNAIRE_TEXT[lang];
  const [title, body] = {
    invalid: [t.invalid, t.invalidBody],
    notYet: [t.notYet, t.notYetBody],
    expired: [t.expired, t.expiredBody],
    none: [t.none, t.noneBody],
    error: [t.error, t.errorBody],
  }[which];
  return pageShell(lang, e(title), `<h1>${e(title)}</h1>\n<p>${e(body)}</p>`, CSS);
}
