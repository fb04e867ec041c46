/** Step 1 of a send: the signed links this message carries, added to its data. */
import type { Keys } from '../../lib/keys';
import type { RecordedMessageData } from '../../messages/data';
import { kindSpec } from '../../messages/kinds';
import { reviewLink, surveyLink, telegramLink, unsubscribeLink } from '../../messages/links';
import { PREFERENCES_LINK_DAYS, preferencesLink } from '../../messages/links';
import type { SendMessageRequest } from '../../workflows/delivery/contract';
import { DEFAULT_TENANT, tenantOfWorkflowId } from '../../workflows/tenant';

const DAY = 86_400_000;

export interface LinkSettings {
  /** Signs links (its own subkey) and keys the Telegram link's customer id. */
  keys: Pick<Keys, 'links' | 'contacts'>;
  /** Base URL of the API, which serves the pages the links lead to. */
  publicUrl: string;
  /** The bot's username, for "get updates on Telegram" deep links; absent when Telegram is off. */
  telegramBotUsername?: string;
  /** For the operator alert's link to the journey in the Temporal UI. */
  temporalUi?: { baseUrl: string; namespace: string };
}

export function withLinks(req: SendMessageRequest, s: LinkSettings, clock: number): RecordedMessageData {
  // Every attempt of a send must render the very same bytes, or the provider refuses it under the same idempotency
  // key (Resend answers 409). Expiries are the only part that depends on time: they count from when the workflow made
  // the request (issuedAt; requests from before it existed count from this attempt), and end at the close of that UTC
  // day, so a journey re-run on the same day (an operator's reset) renders the same links too.
  const issued = req.issuedAt ? Date.parse(req.issuedAt) : NaN;
  const now = Number.isFinite(issued) ? issued : clock;
  const until = (ms: number) => Math.ceil(ms / DAY) * DAY;
  const data: RecordedMessageData = { ...req.data };
  // The tenant whose customer this is: its links act on its own order or customer.
  const of = tenantOfWorkflowId(req.workflowId);
  const tenant = of === DEFAULT_TENANT ? undefined : of;
  if (req.purpose === 'marketing' && req.customerId) {
    // Every marketing message carries its own signed way out (RFC 8058 one-click for email).
    data.unsubscribeUrl = unsubscribeLink(s.publicUrl, s.keys.links, {
      customerId: req.customerId,
      channel: req.channel,
      expiresAt: until(now + 365 * DAY),
      ...(tenant ? { tenant } : {}),
    });
  }
  if (req.customerId && !kindSpec(req.kind)?.toBusiness) {
    // Every message to a customer links their own page (channels, topics, language, a pause), in its language.
    data.preferencesUrl = preferencesLink(s.publicUrl, s.keys.links, {
      customerId: req.customerId,
      locale: req.locale ?? req.fallbackLocale,
      expiresAt: until(now + PREFERENCES_LINK_DAYS * DAY),
      ...(tenant ? { tenant } : {}),
    });
  }
  if (req.kind === 'survey' || req.kind === 'survey_reminder') {
    data.surveyUrl = surveyLink(s.publicUrl, s.keys.links, {
      orderId: req.data.orderId,
      locale: req.locale ?? req.fallbackLocale,
      expiresAt: until(req.linkExpiresAt ? Date.parse(req.linkExpiresAt) : now + 30 * DAY),
      ...(tenant ? { tenant } : {}),
    });
  }
  if (req.kind === 'questionnaire_invite' && req.customerId) {
    // The questionnaire on the customer's own page: the token names them and the language to ask in.
    data.questionnaireUrl = preferencesLink(s.publicUrl, s.keys.links, {
      customerId: req.customerId,
      locale: req.locale ?? req.fallbackLocale,
      expiresAt: until(now + PREFERENCES_LINK_DAYS * DAY),
      page: 'questionnaire',
      ...(tenant ? { tenant } : {}),
    });
  }
  if (data.reviewUrl) {
    // The business's review page, behind a signed redirect that counts the click.
    data.reviewUrl = reviewLink(s.publicUrl, s.keys.links, {
      orderId: req.data.orderId,
      reviewUrl: data.reviewUrl,
      messageKey: req.messageKey,
      expiresAt: until(now + 365 * DAY),
      ...(tenant ? { tenant } : {}),
      ...(req.variant ? { variant: req.variant.id } : {}),
    });
  }
  const toOperator = req.kind === 'operator_alert' || req.kind === 'operator_notice' || req.kind === 'operator_message';
  if (toOperator && data.operator && s.temporalUi) {
    const { baseUrl, namespace } = s.temporalUi;
    data.operator = {
      ...data.operator,
      journeyUrl: `${baseUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(req.workflowId)}`,
    };
  }
  if (req.offerTelegramLink && s.telegramBotUsername && req.customerId) {
    data.telegramLinkUrl = telegramLink(s.telegramBotUsername, s.keys, {
      customerId: req.customerId,
      ...(req.data.orderId ? { orderId: req.data.orderId } : {}),
      expiresAt: until(now + 30 * DAY),
      ...(tenant ? { tenant } : {}),
    });
  }
  return data;
}
