/** What both forms of a message (email, text) are assembled from, and the links they end with. */
import type { KindSpec, MessageKind } from './kinds';
import type { CommonKey, KindTemplates, Template } from './templates';
import type { RenderRequest } from './types';
import { httpUrl, mailtoUrl } from './urls';
import type { TemplateVars } from './variables';

export interface Link {
  label: string;
  url: string;
}

export interface MessageParts {
  request: RenderRequest;
  /** The locale the templates are rendered in. */
  locale: string;
  spec: KindSpec<MessageKind>;
  common: Record<CommonKey, Template>;
  templates: KindTemplates;
  vars: TemplateVars;
  subject: string;
  links: { telegram?: Link; unsubscribe?: Link; preferences?: Link };
}

/** The unsubscribe, Telegram and preferences links, with their localized labels; absent when not given. */
export function linksFor(
  request: RenderRequest,
  spec: KindSpec<MessageKind>,
  labels: { telegram: string; unsubscribe: string; preferences: string },
): MessageParts['links'] {
  const { unsubscribeUrl, telegramLinkUrl, preferencesUrl } = request.data;
  let unsubscribe: Link | undefined;
  if (unsubscribeUrl !== undefined) {
    const url = httpUrl(unsubscribeUrl) ?? mailtoUrl(unsubscribeUrl);
    // A marketing message without a working way out must not go out at all.
    if (!url) throw new Error('data.unsubscribeUrl must be an http(s) or mailto: URL');
    unsubscribe = { label: labels.unsubscribe, url };
  }
  // Telegram links only make sense off Telegram, and WhatsApp users are already in a messenger. A message to
  // the business would only be confused by a customer's Telegram link.
  const telegramUrl =
    (request.channel === 'email' || request.channel === 'sms') && !spec.toBusiness
      ? httpUrl(telegramLinkUrl)
      : undefined;
  // The customer's own page; a message to the business has none.
  const preferences = spec.toBusiness ? undefined : httpUrl(preferencesUrl);
  return {
    telegram: telegramUrl ? { label: labels.telegram, url: telegramUrl } : undefined,
    unsubscribe,
    ...(preferences ? { preferences: { label: labels.preferences, url: preferences } } : {}),
  };
}

/** A string of the kind's features (code box, footer, …); the loader made sure each one exists. */
export function extraString(parts: MessageParts, key: string): string {
  const template = parts.templates.extras[key];
  if (!template) throw new Error(`no string kinds.${parts.request.kind}.${key} was loaded`);
  return template(parts.vars);
}
