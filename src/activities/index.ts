import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { fitSms, RecipientOptedOutError } from '../channels/sms/twilio';
import { ChatUnreachableError, telegramDeepLink } from '../channels/telegram/telegraf';
import type { ChannelAdapter, OutgoingContent } from '../channels/types';
import { DeliveryError, PermanentDeliveryError, ThrottledDeliveryError } from '../channels/types';
import type { WhatsAppContent } from '../channels/whatsapp/cloud-api';
import { reviewLink, surveyLink } from '../api/survey';
import { recordStatWith } from '../stats';
import { contactKeysFor, telegramLinkId } from '../contact-keys';
import {
  customerEventSignal,
  customerLifecycleId,
  type StatEvent,
  DeliveryFailureType,
  orderCompletedSignal,
  orderPlacedSignal,
  requestSendPermitUpdate,
  SA,
  type CustomerEvent,
  type MessageKind,
  type OrderPlacedSignal,
  type Purpose,
  type SendPermit,
  type SendPermitRequest,
} from '../contract';
import type { MessageData, MessageRenderer } from '../messages/types';
import type { Channel, Playbook } from '../playbook/schema';
import { signShortToken, signToken } from '../tokens';
import type { customerLifecycle } from '../workflows';

const DAY = 86_400_000;

export interface ActivityDeps {
  renderer: MessageRenderer;
  /** The adapter that delivers on each channel (a provider, or the dev outbox), if any. */
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** Overrides the playbook's sender for email (EMAIL_FROM). */
  emailFrom?: string;
  client: Client;
  taskQueue: string;
  /** Signs links (unsubscribe, Telegram linking) and keys contacts. */
  secret: string;
  /** Base URL of the API, for links in messages. */
  publicUrl: string;
  /** The bot's username, for "get updates on Telegram" deep links; absent when Telegram is off. */
  telegramBotUsername?: string;
  /** For the operator alert's link to the journey in the Temporal UI. */
  temporalUi?: { baseUrl: string; namespace: string };
  now?: () => number;
}

export interface SendMessageRequest {
  idempotencyKey: string;
  workflowId: string;
  customerId?: string;
  messageKey: string;
  kind: MessageKind;
  purpose?: Purpose;
  channel: Channel;
  /** The customer's address on this channel (PII: never logged). */
  to: string;
  recipientName: string;
  locale?: string;
  timeZone?: string;
  fallbackLocale: string;
  brand: Playbook['brand'];
  data: MessageData;
  whatsapp?: { windowOpen: boolean; template?: { name: string; languages: Record<string, string> } };
  smsMaxSegments?: number;
  /** Add a "get updates on Telegram" deep link (the customer has no linked chat yet). */
  offerTelegramLink?: boolean;
  /** Until when links in the message (survey) work. */
  linkExpiresAt?: string;
}

export interface SendMessageResult {
  provider: string;
  providerMessageId: string;
  locale: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** Renders one message for one channel and hands it to that channel's adapter. */
    async sendMessage(req: SendMessageRequest): Promise<SendMessageResult> {
      const adapter = deps.channels[req.channel];
      if (!adapter) {
        throw ApplicationFailure.create({
          type: DeliveryFailureType.notConfigured,
          message: `no provider is configured for ${req.channel}`,
          nonRetryable: true,
        });
      }
      const now = (deps.now ?? Date.now)();
      const data: MessageData = { ...req.data };
      if (req.purpose === 'marketing' && req.customerId) {
        // Every marketing message carries its own signed way out (RFC 8058 one-click for email).
        data.unsubscribeUrl = `${deps.publicUrl}/unsubscribe/${signToken(
          deps.secret,
          'unsubscribe',
          { c: req.customerId, ch: req.channel },
          { expiresAt: now + 365 * DAY },
        )}`;
      }
      const expiresAt = req.linkExpiresAt ? Date.parse(req.linkExpiresAt) : now + 30 * DAY;
      if (req.kind === 'survey' || req.kind === 'survey_reminder') {
        data.surveyUrl = surveyLink(deps.publicUrl, deps.secret, {
          orderId: req.data.orderId,
          locale: req.locale ?? req.fallbackLocale,
          expiresAt,
        });
      }
      if (data.reviewUrl) {
        // The business's review page, behind a signed redirect that counts the click.
        data.reviewUrl = reviewLink(deps.publicUrl, deps.secret, {
          orderId: req.data.orderId,
          reviewUrl: data.reviewUrl,
          messageKey: req.messageKey,
          expiresAt: now + 365 * DAY,
        });
      }
      if (req.kind === 'operator_alert' && data.operator && deps.temporalUi) {
        const { baseUrl, namespace } = deps.temporalUi;
        data.operator = {
          ...data.operator,
          journeyUrl: `${baseUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(req.workflowId)}`,
        };
      }
      if (req.offerTelegramLink && deps.telegramBotUsername && req.customerId) {
        const token = signShortToken(
          deps.secret,
          'telegram-link',
          telegramLinkId(deps.secret, req.customerId),
          now + 30 * DAY,
        );
        data.telegramLinkUrl = telegramDeepLink(deps.telegramBotUsername, token);
      }
      const rendered = deps.renderer.render({
        kind: req.kind,
        channel: req.channel,
        locale: req.locale,
        fallbackLocale: req.fallbackLocale,
        timeZone: req.timeZone,
        brand: req.brand,
        recipientName: req.recipientName,
        data,
      });
      let content: OutgoingContent;
      if (req.channel === 'email') {
        content = {
          channel: 'email',
          to: req.to,
          from: deps.emailFrom ?? req.brand.sender,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          ...(data.unsubscribeUrl
            ? {
                headers: {
                  'List-Unsubscribe': `<${data.unsubscribeUrl}>`,
                  'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
                },
              }
            : {}),
        };
      } else if (req.channel === 'sms') {
        content = { channel: 'sms', to: req.to, text: fitSms(rendered.text, req.smsMaxSegments ?? 3) };
      } else if (req.channel === 'whatsapp' && req.whatsapp && !req.whatsapp.windowOpen) {
        // Outside the 24-hour window WhatsApp only takes approved templates.
        const template = req.whatsapp.template;
        if (!template) {
          throw ApplicationFailure.create({
            type: DeliveryFailureType.permanent,
            message: `no WhatsApp template for ${req.kind} and the customer has not written in the last 24 hours`,
            nonRetryable: true,
          });
        }
        const language =
          template.languages[rendered.locale] ??
          template.languages[req.fallbackLocale] ??
          Object.values(template.languages)[0]!;
        const whatsapp: WhatsAppContent = {
          channel: 'whatsapp',
          to: req.to,
          text: rendered.text,
          template: { name: template.name, language, bodyParameters: [req.recipientName, rendered.text] },
        };
        content = whatsapp;
      } else {
        content = { channel: req.channel, to: req.to, text: rendered.text };
      }
      try {
        const sent = await adapter.send({
          idempotencyKey: req.idempotencyKey,
          content,
          meta: { kind: req.kind, workflowId: req.workflowId, messageKey: req.messageKey, locale: rendered.locale },
        });
        Context.current().log.info('message sent', {
          messageKey: req.messageKey,
          kind: req.kind,
          channel: req.channel,
          provider: sent.provider,
          providerMessageId: sent.providerMessageId,
        });
        // Measure each measure: every follow-up sent is counted, once per idempotency key.
        await recordStatWith(deps.client, deps.taskQueue, {
          kind: req.kind,
          metric: 'sent',
          eventId: `sent:${req.idempotencyKey}`,
          at: new Date(now).toISOString(),
        });
        return { ...sent, locale: rendered.locale };
      } catch (err) {
        throw toActivityFailure(err);
      }
    },

    /** Counts a follow-up event (sent, answered, converted) in the durable stats workflow. */
    async recordStat(input: Omit<StatEvent, 'at'> & { at?: string }): Promise<void> {
      await recordStatWith(deps.client, deps.taskQueue, {
        ...input,
        at: input.at ?? new Date((deps.now ?? Date.now)()).toISOString(),
      });
    },

    /** Asks the customer's lifecycle whether, when and where a message may go. */
    async requestSendPermit(customerId: string, request: SendPermitRequest): Promise<SendPermit> {
      return (
        deps.client.workflow
          .getHandle(customerLifecycleId(customerId))
          // The update id makes a retried request idempotent on the server too.
          .executeUpdate(requestSendPermitUpdate, { args: [request], updateId: request.permitId })
      );
    },

    /** Reports a consent or delivery event to the customer's lifecycle. */
    async reportCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
      await deps.client.workflow.getHandle(customerLifecycleId(customerId)).signal(customerEventSignal, event);
    },

    /** Tells the customer's lifecycle about a new order, starting the lifecycle if it is new. */
    async recordOrderWithCustomer(
      input: Omit<OrderPlacedSignal, 'contactKeys' | 'rules'> & Partial<Pick<OrderPlacedSignal, 'rules'>>,
    ): Promise<void> {
      const signal = { ...input, contactKeys: contactKeysFor(deps.secret, input.profile) } as OrderPlacedSignal;
      await deps.client.workflow.signalWithStart<typeof customerLifecycle, [OrderPlacedSignal]>('customerLifecycle', {
        workflowId: customerLifecycleId(signal.profile.id),
        taskQueue: deps.taskQueue,
        args: [{ customerId: signal.profile.id }],
        signal: orderPlacedSignal,
        signalArgs: [signal],
        typedSearchAttributes: [{ key: SA.customerId, value: signal.profile.id }],
        staticSummary: `Customer ${signal.profile.id}: profile, order history and (later) loyalty`,
      });
    },

    async recordOrderCompleted(input: { customerId: string; orderId: string; completedAt: string }): Promise<void> {
      await deps.client.workflow.getHandle(customerLifecycleId(input.customerId)).signal(orderCompletedSignal, {
        orderId: input.orderId,
        completedAt: input.completedAt,
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Provider codes that mean "this address will never work" (Twilio: invalid / not a mobile number). */
const INVALID_ADDRESS_CODES = new Set(['21211', '21614']);

/** Encodes the adapter's error class as Temporal retry behaviour. */
function toActivityFailure(err: unknown): Error {
  if (!(err instanceof DeliveryError)) return err instanceof Error ? err : new Error(String(err));
  const details = [{ provider: err.provider, status: err.status, code: err.code }];
  if (err instanceof RecipientOptedOutError) {
    return ApplicationFailure.create({
      type: DeliveryFailureType.optedOut,
      message: err.message,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof ChatUnreachableError) {
    return ApplicationFailure.create({
      type: DeliveryFailureType.unreachable,
      message: err.message,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof PermanentDeliveryError && INVALID_ADDRESS_CODES.has(err.code ?? '')) {
    return ApplicationFailure.create({
      type: DeliveryFailureType.invalidAddress,
      message: err.message,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof PermanentDeliveryError) {
    return ApplicationFailure.create({
      type: DeliveryFailureType.permanent,
      message: err.message,
      nonRetryable: true,
      details,
    });
  }
  if (err instanceof ThrottledDeliveryError) {
    return ApplicationFailure.create({
      type: DeliveryFailureType.throttled,
      message: err.message,
      nextRetryDelay: err.retryAfterMs,
      details,
    });
  }
  return ApplicationFailure.create({ type: DeliveryFailureType.transient, message: err.message, details });
}
