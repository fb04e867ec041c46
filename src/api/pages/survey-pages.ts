/** The survey's HTML pages: the form, the thanks, and the pages that say why a link does not work. */
import { escapeHtml, pageShell } from './shell';
import { TEXT, type Lang } from './survey-text';

export const MAX_COMMENT = 2000;

export interface FormContext {
  orderId: string;
  lang: Lang;
  /** The customer's first name, when the token carries one. */
  name: string;
}

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

export function layout(lang: Lang, title: string, body: string): string {
  return pageShell(lang, title, body, PAGE_CSS);
}

export function formPage(
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

export function thanksPage(lang: Lang, brandName: string, replaced: boolean): string {
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
export function messagePage(lang: Lang | undefined, pick: (t: (typeof TEXT)['en']) => [string, string]): string {
  const [title, body] = pick(TEXT[lang ?? 'en']);
  const e = escapeHtml;
  const alt = lang === undefined ? pick(TEXT.bn) : undefined;
  const altHtml = alt ? `\n<p class="alt" lang="bn">${e(alt[0])}। ${e(alt[1])}</p>` : '';
  return layout(lang ?? 'en', e(title), `<h1>${e(title)}</h1>\n<p>${e(body)}</p>${altHtml}`);
}

export function invalidPage(lang: Lang | undefined): string {
  return messagePage(lang, (t) => [t.invalid, t.invalidBody]);
}

export function closedPage(lang: Lang | undefined): string {
  return messagePage(lang, (t) => [t.closed, t.closedBody]);
}

export function alreadyClosedPage(lang: Lang, brandName: string): string {
  return messagePage(lang, (t) => [t.alreadyClosed, t.alreadyClosedBody(brandName)]);
}

export function unreadablePage(lang: Lang): string {
  return messagePage(lang, (t) => [t.unreadable, t.unreadableBody]);
}

export function errorPage(
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
export function linkInvalidPage(): string {
  return messagePage(undefined, (t) => [t.invalid, t.linkInvalidBody]);
}

export function linkExpiredPage(): string {
  return messagePage(undefined, (t) => [t.linkExpired, t.linkExpiredBody]);
}
