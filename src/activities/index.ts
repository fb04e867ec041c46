import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ChannelAdapter, OutgoingContent } from '../channels/types';
import { DeliveryError, PermanentDeliveryError, ThrottledDeliveryError } from '../channels/types';
import {
  customerLifecycleId,
  DeliveryFailureType,
  orderCompletedSignal,
  orderPlacedSignal,
  SA,
  type MessageKind,
  type OrderPlacedSignal,
} from '../contract';
import type { MessageData, MessageRenderer } from '../messages/types';
import type { Channel, Playbook } from '../playbook/schema';
import type { customerLifecycle } from '../workflows';

export interface ActivityDeps {
  renderer: MessageRenderer;
  /** The adapter that delivers on each channel (a provider, or the dev outbox), if any. */
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** Overrides the playbook's sender for email (EMAIL_FROM). */
  emailFrom?: string;
  client: Client;
  taskQueue: string;
}

export interface SendMessageRequest {
  idempotencyKey: string;
  workflowId: string;
  messageKey: string;
  kind: MessageKind;
  channel: Channel;
  /** The customer's address on this channel (PII: never logged). */
  to: string;
  recipientName: string;
  locale?: string;
  timeZone?: string;
  fallbackLocale: string;
  brand: Playbook['brand'];
  data: MessageData;
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
      const rendered = deps.renderer.render({
        kind: req.kind,
        channel: req.channel,
        locale: req.locale,
        fallbackLocale: req.fallbackLocale,
        timeZone: req.timeZone,
        brand: req.brand,
        recipientName: req.recipientName,
        data: req.data,
      });
      const content: OutgoingContent =
        req.channel === 'email'
          ? {
              channel: 'email',
              to: req.to,
              from: deps.emailFrom ?? req.brand.sender,
              subject: rendered.subject,
              html: rendered.html,
              text: rendered.text,
            }
          : { channel: req.channel, to: req.to, text: rendered.text };
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
        return { ...sent, locale: rendered.locale };
      } catch (err) {
        throw toActivityFailure(err);
      }
    },

    /** Tells the customer's lifecycle about a new order, starting the lifecycle if it is new. */
    async recordOrderWithCustomer(signal: OrderPlacedSignal): Promise<void> {
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

/** Encodes the adapter's error class as Temporal retry behaviour. */
function toActivityFailure(err: unknown): Error {
  if (!(err instanceof DeliveryError)) return err instanceof Error ? err : new Error(String(err));
  const details = [{ provider: err.provider, status: err.status, code: err.code }];
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
