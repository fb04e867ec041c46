/** The email layout (templates/email/layout.mjml): compiled from MJML once at startup and proven by a trial render. */
import { readFile } from 'node:fs/promises';
import type Handlebars from 'handlebars';
import mjml2html from 'mjml';

/** What the compiled layout is filled with. Every value is plain text; the layout escapes it. */
export interface LayoutData {
  lang: string;
  subject: string;
  preheader: string;
  brand: string;
  heading: string;
  greeting: string;
  paragraphs: string[];
  /** Offer emails only: the services to cross-sell and the conditions of the code. */
  offer?: {
    servicesHeading: string;
    services: { name: string; price?: string }[];
    conditionsLabel: string;
    conditions?: string;
  };
  /** Offer, referral and win-back emails: the code in a box, with what it is worth or until when. */
  codeBox?: { label: string; code: string; note?: string };
  details: { label: string; value: string }[];
  cta?: { label: string; url: string };
  contacts: { label: string; href: string }[];
  footer: string;
  telegramLink?: { label: string; url: string };
  unsubscribe?: { label: string; url: string };
  /** The customer's own page (channels, topics, language); every email to a customer has it. */
  preferences?: { label: string; url: string };
}

export type Layout = (data: LayoutData) => string;

// Markers in a trial render: if MJML dropped the placeholder around one, messages would silently lack it.
const TRIAL: LayoutData = {
  lang: 'en',
  subject: 's',
  preheader: 'p',
  brand: 'b',
  heading: 'HEADING-1',
  greeting: 'g',
  paragraphs: ['PARAGRAPH-1'],
  offer: {
    servicesHeading: 'h',
    services: [{ name: 'SERVICE-1', price: 'PRICE-1' }],
    conditionsLabel: 'c',
    conditions: 'CONDITIONS-1',
  },
  codeBox: { label: 'c', code: 'CODE-1', note: 'VALID-1' },
  details: [{ label: 'l', value: 'DETAIL-1' }],
  cta: { label: 'c', url: 'https://cta.example/CTA-1' },
  contacts: [{ label: 'x', href: 'mailto:x@y' }],
  footer: 'FOOTER-1',
  telegramLink: { label: 'TELEGRAM-1', url: 'https://t.example/TELEGRAM-URL-1' },
  unsubscribe: { label: 'UNSUBSCRIBE-1', url: 'https://u.example/UNSUBSCRIBE-URL-1' },
  preferences: { label: 'PREFERENCES-1', url: 'https://p.example/PREFERENCES-URL-1' },
};
const MARKERS = [
  'HEADING-1',
  'PARAGRAPH-1',
  'SERVICE-1',
  'PRICE-1',
  'CODE-1',
  'VALID-1',
  'CONDITIONS-1',
  'DETAIL-1',
  'CTA-1',
  'FOOTER-1',
  'TELEGRAM-1',
  'TELEGRAM-URL-1',
  'UNSUBSCRIBE-1',
  'UNSUBSCRIBE-URL-1',
  'PREFERENCES-1',
  'PREFERENCES-URL-1',
];

export async function compileLayout(hb: typeof Handlebars, file: string): Promise<Layout> {
  const source = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new Error(`cannot read email layout ${file}: ${(err as Error).message}`);
  });
  let html: string;
  try {
    ({ html } = await mjml2html(source, { validationLevel: 'strict', filePath: file }));
  } catch (err) {
    const details = (err as { errors?: { formattedMessage?: string; message?: string }[] }).errors;
    const lines = details?.map((e) => e.formattedMessage ?? e.message).join('\n') ?? (err as Error).message;
    throw new Error(`${file}: MJML validation failed:\n${lines}`);
  }
  const template = hb.compile<LayoutData>(html, { knownHelpersOnly: true });
  // Trial render: compiles now, and proves MJML kept the placeholders we fill in.
  let out: string;
  try {
    out = template(TRIAL);
  } catch (err) {
    throw new Error(`${file}: the compiled layout is not a valid Handlebars template: ${(err as Error).message}`);
  }
  for (const marker of MARKERS) {
    if (!out.includes(marker))
      throw new Error(`${file}: a placeholder was lost in the MJML compile (no ${marker} in a trial render)`);
  }
  return template;
}
