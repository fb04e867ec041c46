/**
 * The preferences page's HTML: the form (mobile-first, no script: the CSP forbids it), the confirmation, and the
 * pages that say why a link does not work. Everything that comes from the customer's state is escaped here.
 */
import type { Channel } from '../../channels/types';
import { SWITCHABLE_TOPICS } from '../../messages/topics';
import type { PreferencesView } from '../../workflows/customer/contract';
import { PREFERENCES_SOURCE } from '../../workflows/customer/preferences-rules';
import { dayOf, LANGUAGE_NAMES, PREFERENCES_TEXT } from './preferences-text';
import { escapeHtml, pageShell } from './shell';
import type { Lang } from './survey-text';

const CSS = `  fieldset { border: 1px solid #d0d7de; border-radius: 10px; margin: 0 0 1rem; padding: .75rem 1rem; }
  legend { font-weight: 600; padding: 0 .25rem; }
  .row { display: flex; align-items: center; gap: .75rem; min-height: 2.75rem; }
  .row label { flex: 1; }
  .help { color: #57606a; font-size: .9rem; margin: 0 0 .5rem; }
  input[type=checkbox], input[type=radio] { width: 1.35rem; height: 1.35rem; margin: 0 .5rem 0 0; vertical-align: middle; }
  select { font: inherit; padding: .35rem; border-radius: 6px; min-height: 2.5rem; }
  .langs { display: flex; gap: 1rem; margin: 0 0 1rem; }
  .langs a { color: #0b3d91; }
  .langs [aria-current] { font-weight: 700; color: #1f2328; text-decoration: none; }
  .error { background: #ffebe9; border: 1px solid #ff8182; border-radius: 8px; padding: .6rem .8rem; }
  .note { background: #ddf4ff; border-radius: 8px; padding: .6rem .8rem; }
  .secondary { background: #fff; color: #cf222e; border: 1px solid #cf222e; }
  .link { background: none; color: #0b3d91; text-decoration: underline; padding: .25rem 0; width: auto; font-weight: 400; }
  ul.summary { padding-left: 1.2rem; }
  button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }`;

export interface FormState {
  lang: Lang;
  brandName: string;
  view: PreferencesView;
  /** Locales the business writes in (templates/locales). */
  locales: readonly string[];
  /** A fresh id for this rendering of the form: posting it twice is one change. */
  formId: string;
  error?: string;
  nowMs: number;
  /** Link to the questionnaire page, when the customer was invited to it. */
  questionnaireUrl?: string;
}

/** The channels the page lists, in the customer's order, then the rest. */
export function orderedChannels(view: PreferencesView): Channel[] {
  const chosen = (view.preferences?.channels ?? []).filter((c) => view.reachable.includes(c));
  return [...chosen, ...view.reachable.filter((c) => !chosen.includes(c))];
}

const running = (until: string | undefined, nowMs: number) => !(until && Date.parse(until) <= nowMs);

/** The customer's own pause while it runs: its end (their page's; older ones were kept in consent). */
export function ownPauseUntil(view: PreferencesView, nowMs: number): string | undefined {
  const until = view.preferences?.pausedUntil;
  if (until && running(until, nowMs)) return until;
  const legacy = view.marketingPaused;
  return legacy?.source === PREFERENCES_SOURCE && running(legacy.until, nowMs) ? (legacy.until ?? '') : undefined;
}

/** An operator's pause while it runs: the page shows it, and never lifts it. */
export function shopPause(view: PreferencesView, nowMs: number) {
  const p = view.marketingPaused;
  return p && p.source !== PREFERENCES_SOURCE && running(p.until, nowMs) ? p : undefined;
}

/** What the page says about pauses: the shop's first (the customer cannot lift it), then their own. */
function pauseTexts(view: PreferencesView, nowMs: number, lang: Lang, brandName: string): string[] {
  const t = PREFERENCES_TEXT[lang];
  const shop = shopPause(view, nowMs);
  const own = ownPauseUntil(view, nowMs);
  return [
    ...(shop ? [t.pausedByShop(brandName, shop.until ? dayOf(shop.until, lang) : '')] : []),
    ...(own !== undefined ? [t.pausedUntil(dayOf(own, lang))] : []),
  ];
}

export function formPage(s: FormState): string {
  const t = PREFERENCES_TEXT[s.lang];
  const { view } = s;
  const channels = orderedChannels(view);
  const off = new Set(view.preferences?.off ?? []);
  const topicsOff = new Set<string>(view.preferences?.topicsOff ?? []);
  const ownPause = ownPauseUntil(view, s.nowMs) !== undefined;
  const hidden = `<input type="hidden" name="lang" value="${s.lang}"><input type="hidden" name="formId" value="${escapeHtml(s.formId)}">`;
  const check = (on: boolean) => (on ? ' checked' : '');

  const channelRows = channels
    .map((c, i) => {
      const options = channels
        .map((_, j) => `<option value="${j + 1}"${j === i ? ' selected' : ''}>${j + 1}</option>`)
        .join('');
      return `<div class="row"><label><input type="checkbox" name="on" value="${c}"${check(!off.has(c))}>${escapeHtml(t.channel[c])}</label>
<label class="pos">${escapeHtml(t.position)} <select name="pos-${c}" aria-label="${escapeHtml(`${t.position}: ${t.channel[c]}`)}">${options}</select></label></div>`;
    })
    .join('\n');

  const topicRows = SWITCHABLE_TOPICS.map(
    (
      topic,
    ) => `<div class="row"><label><input type="checkbox" name="topic" value="${topic}"${check(!topicsOff.has(topic))}>${escapeHtml(t.topic[topic])}</label></div>
<p class="help">${escapeHtml(t.topicHelp[topic])}</p>`,
  ).join('\n');

  const locales = s.locales.includes(view.locale ?? '')
    ? s.locales
    : [...s.locales, ...(view.locale ? [view.locale] : [])];
  const localeOptions = locales
    .map(
      (l) =>
        `<option value="${escapeHtml(l)}" lang="${escapeHtml(l)}"${l === view.locale ? ' selected' : ''}>${escapeHtml(LANGUAGE_NAMES[l] ?? l)}</option>`,
    )
    .join('');

  const pauseNotes = pauseTexts(view, s.nowMs, s.lang, s.brandName)
    .map((text) => `<p class="note">${escapeHtml(text)}</p>`)
    .join('\n');
  const pauseChoices = [...(ownPause ? [['', t.pauseKeep]] : [['', t.pauseNone]]), ['30', t.pause30], ['90', t.pause90]]
    .map(
      ([v, label], i) =>
        `<div class="row"><label><input type="radio" name="pause" value="${v}"${check(i === 0)}>${escapeHtml(label!)}</label></div>`,
    )
    .join('\n');

  const body = `${languageSwitch(s.lang)}
<h1>${escapeHtml(t.title(s.brandName))}</h1>
<p>${escapeHtml(t.hello(view.name))}</p>
<p>${escapeHtml(t.intro)}</p>
${s.error ? `<p class="error" role="alert">${escapeHtml(s.error)}</p>` : ''}
${view.marketingOff ? `<p class="note">${escapeHtml(t.offersStopped)}</p>` : ''}
<form method="post">
${hidden}
<input type="hidden" name="action" value="save">
${
  channels.length > 0
    ? `<fieldset><legend>${escapeHtml(t.channelsLegend)}</legend>
<p class="help">${escapeHtml(t.channelsHelp)}</p>
${channelRows}
</fieldset>`
    : ''
}
<fieldset><legend>${escapeHtml(t.topicsLegend)}</legend>
<div class="row"><label><input type="checkbox" checked disabled>${escapeHtml(t.topic.order)}</label></div>
<p class="help">${escapeHtml(view.orderOpen ? t.orderLocked : t.orderIdle)}</p>
${topicRows}
</fieldset>
<fieldset><legend>${escapeHtml(t.languageLegend)}</legend>
<select name="locale" aria-label="${escapeHtml(t.languageLegend)}">${localeOptions}</select>
</fieldset>
<fieldset><legend>${escapeHtml(t.pauseLegend)}</legend>
${pauseNotes}
${pauseChoices}
${ownPause ? `<button type="submit" form="resume" class="link">${escapeHtml(t.resume)}</button>` : ''}
</fieldset>
<button type="submit">${escapeHtml(t.save)}</button>
</form>
${
  ownPause
    ? // Its button sits in the pause section above (a form cannot hold another one).
      `<form id="resume" method="post">${hidden}<input type="hidden" name="action" value="resume"></form>`
    : ''
}
${s.questionnaireUrl ? `<p><a href="${escapeHtml(s.questionnaireUrl)}">${escapeHtml(t.questionnaire)}</a></p>` : ''}
${
  view.marketingOff
    ? ''
    : `<form method="post">${hidden}<input type="hidden" name="action" value="stop-offers">
<fieldset><legend>${escapeHtml(t.stopOffersLegend)}</legend>
<p class="help">${escapeHtml(t.stopOffersHelp)}</p>
<button type="submit" class="secondary">${escapeHtml(t.stopOffers)}</button>
</fieldset></form>`
}`;
  return pageShell(s.lang, escapeHtml(t.title(s.brandName)), body, CSS);
}

/** "Saved", with what now holds. */
export function savedPage(lang: Lang, brandName: string, view: PreferencesView, nowMs: number): string {
  const t = PREFERENCES_TEXT[lang];
  const off = new Set(view.preferences?.off ?? []);
  const topicsOff = new Set<string>(view.preferences?.topicsOff ?? []);
  const items = [
    `${t.channelsLegend}: ${orderedChannels(view)
      .map((c) => `${t.channel[c]} (${off.has(c) ? t.off : t.on})`)
      .join(', ')}`,
    ...SWITCHABLE_TOPICS.map((topic) => `${t.topic[topic]}: ${topicsOff.has(topic) ? t.off : t.on}`),
    `${t.languageLegend}: ${LANGUAGE_NAMES[view.locale ?? ''] ?? view.locale ?? ''}`,
    ...pauseTexts(view, nowMs, lang, brandName),
  ];
  return pageShell(
    lang,
    escapeHtml(t.saved),
    `<h1 role="status">${escapeHtml(t.saved)}</h1>
<p>${escapeHtml(t.savedBody)}</p>
<ul class="summary">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>
<p><a href="?lang=${lang}">${escapeHtml(t.change)}</a></p>`,
    CSS,
  );
}

export function stoppedPage(lang: Lang): string {
  const t = PREFERENCES_TEXT[lang];
  return simplePage(lang, t.stopped, t.stoppedBody, `<p><a href="?lang=${lang}">${escapeHtml(t.change)}</a></p>`);
}

/** A page that only says something (an expired link, an error): heading and one paragraph. */
export function messagePage(lang: Lang, key: 'invalid' | 'expired' | 'unknown' | 'error' | 'unreadable'): string {
  const t = PREFERENCES_TEXT[lang];
  const bodies = {
    invalid: t.invalidBody,
    expired: t.expiredBody,
    unknown: t.unknownBody,
    error: t.errorBody,
    unreadable: t.unreadableBody,
  };
  return simplePage(lang, t[key], bodies[key]);
}

function simplePage(lang: Lang, heading: string, body: string, extra = ''): string {
  return pageShell(
    lang,
    escapeHtml(heading),
    `<h1>${escapeHtml(heading)}</h1>\n<p>${escapeHtml(body)}</p>${extra}`,
    CSS,
  );
}

/** Links that show the page in the other language (same URL, token included; no script needed). */
function languageSwitch(lang: Lang): string {
  const t = PREFERENCES_TEXT[lang];
  const links = (['en', 'bn'] as const)
    .map((l) =>
      l === lang
        ? `<a aria-current="page" lang="${l}">${LANGUAGE_NAMES[l]}</a>`
        : `<a href="?lang=${l}" lang="${l}" hreflang="${l}">${LANGUAGE_NAMES[l]}</a>`,
    )
    .join('');
  return `<nav class="langs" aria-label="${escapeHtml(t.switchLanguage)}">${links}</nav>`;
}
