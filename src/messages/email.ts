/** The email form of a message: the HTML layout filled in, and a plain-text part saying the same. */
import { localize } from './localized';
import { tidy } from './format';
import type { Layout, LayoutData } from './layout';
import { extraString, type MessageParts } from './parts';

export function renderEmail(parts: MessageParts, layout: Layout): { html: string; text: string } {
  const { locale, spec, common, templates, vars, subject, links } = parts;
  const heading = tidy(templates.heading(vars)) || subject;
  const greeting = tidy(common.greeting(vars));
  const paragraphs = templates.paragraphs
    .map((p) =>
      p(vars)
        .replace(/[ \t]+/g, ' ')
        .trim(),
    )
    .filter(Boolean);
  const footer = tidy(spec.toBusiness ? extraString(parts, spec.toBusiness.footer) : common.footer(vars));
  const offer = crossSell(parts);
  const code = vars.code;
  const codeBox =
    spec.codeBox && code
      ? {
          label: tidy(extraString(parts, spec.codeBox.label)),
          code,
          note: tidy(extraString(parts, spec.codeBox.note)) || undefined,
        }
      : undefined;

  const details: LayoutData['details'] = spec.aboutOrder
    ? [{ label: tidy(common.order(vars)), value: vars.orderId }]
    : [];
  if (spec.details?.stage && vars.stageLabel) details.push({ label: tidy(common.stage(vars)), value: vars.stageLabel });
  // A finished order expects nothing.
  if (spec.details?.eta && vars.eta && !vars.isFinal) {
    details.push({ label: tidy(common[spec.details.eta](vars)), value: vars.eta });
  }

  // The support link writes about this order ("Order A-1001" in the subject).
  const supportMail = vars.supportEmail
    ? `mailto:${vars.supportEmail}?subject=${encodeURIComponent(`${tidy(common.order(vars))} ${vars.orderId}`)}`
    : undefined;
  const ctaUrl = spec.cta(vars, supportMail);
  const cta = ctaUrl ? { label: tidy(templates.cta(vars)), url: ctaUrl } : undefined;

  // A message to the business has no "contact us" links to itself.
  const contacts: LayoutData['contacts'] = [];
  if (!spec.toBusiness) {
    if (vars.supportEmail) contacts.push({ label: vars.supportEmail, href: `mailto:${vars.supportEmail}` });
    if (vars.supportPhone)
      contacts.push({ label: vars.supportPhone, href: `tel:${vars.supportPhone.replace(/[^\d+]/g, '')}` });
    if (vars.website)
      contacts.push({ label: vars.website.replace(/^https?:\/\//, '').replace(/\/$/, ''), href: vars.website });
  }

  const html = layout({
    lang: locale,
    subject,
    preheader: tidy(templates.preheader(vars)),
    brand: vars.brand,
    heading,
    greeting,
    paragraphs,
    offer,
    codeBox,
    details,
    cta,
    contacts,
    footer,
    telegramLink: links.telegram,
    unsubscribe: links.unsubscribe,
    ...(links.preferences ? { preferences: links.preferences } : {}),
  });

  const blocks = [
    greeting,
    heading,
    ...paragraphs,
    offer && offer.services.length > 0
      ? [
          `${offer.servicesHeading}:`,
          ...offer.services.map((s) => `- ${s.name}${s.price ? ` — ${s.price}` : ''}`),
        ].join('\n')
      : '',
    codeBox ? `${codeBox.label}: ${codeBox.code}${codeBox.note ? `\n${codeBox.note}` : ''}` : '',
    offer?.conditions ? `${offer.conditionsLabel}: ${offer.conditions}` : '',
    details.map((d) => `${d.label}: ${d.value}`).join('\n'),
    cta ? `${cta.label}: ${cta.url}` : '',
    [
      '--',
      vars.brand,
      ...contacts.map((c) => c.label),
      footer,
      links.telegram ? `${links.telegram.label}: ${links.telegram.url}` : '',
      links.preferences ? `${links.preferences.label}: ${links.preferences.url}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    // Last, where people look for it.
    links.unsubscribe ? `${links.unsubscribe.label}: ${links.unsubscribe.url}` : '',
  ];
  return { html, text: blocks.filter(Boolean).join('\n\n') };
}

/** The services to cross-sell, named in the customer's language (or the one they have), and the code's conditions. */
function crossSell(parts: MessageParts): LayoutData['offer'] {
  const { request, locale, spec, vars } = parts;
  if (!spec.crossSell) return undefined;
  return {
    servicesHeading: tidy(extraString(parts, spec.crossSell.heading)),
    services: spec.crossSell.services(request.data).flatMap(({ name, price }) => {
      const text = tidy(localize(name, locale, request.fallbackLocale) ?? '');
      const cost = price === undefined ? '' : tidy(price);
      return text ? [cost ? { name: text, price: cost } : { name: text }] : [];
    }),
    conditionsLabel: tidy(extraString(parts, spec.crossSell.conditionsLabel)),
    conditions: vars.conditions,
  };
}
