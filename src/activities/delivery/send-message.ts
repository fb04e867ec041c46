import { Context } from '@temporalio/activity';
import { ChannelNotConfiguredError } from '../../channels/errors';
import type { ChannelAdapter } from '../../channels/types';
import type { Channel } from '../../channels/types';
import type { MessageRenderer } from '../../messages/types';
import type { SendMessageRequest, SendMessageResult } from '../../workflows/delivery/contract';
import { DEFAULT_TENANT, tenantOfWorkflowId } from '../../workflows/tenant';
import { compose, ratingOneTap } from './compose';
import { toActivityFailure } from './failures';
import { withLinks, type LinkSettings } from './links';
import { guardedSend, recordMarkWith } from './send-guard';

export interface SendDeps extends LinkSettings {
  renderer: MessageRenderer;
  /** The adapter that delivers on each channel (a provider, or the dev outbox), if any. */
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** Overrides the playbook's sender for email (EMAIL_FROM). */
  emailFrom?: string;
  /**
   * Other tenants' own adapters and sender, by tenant id (a message's tenant is in its workflow id); a tenant not
   * listed here, and the default one, send with `channels` and `emailFrom`.
   */
  tenants?: Readonly<Record<string, TenantSenders>>;
  /**
   * Records a durable "about to send" mark before each request to a provider without an idempotency key
   * (./send-guard.ts); absent, those sends are not guarded against a worker dying mid-send.
   */
  client?: Parameters<typeof recordMarkWith>[0];
  now?: () => number;
}

/**
 * One message on one channel: links, then render, then compose for the channel, then the adapter.
 * Nothing else happens in this retry scope: a retry repeats only what is safe to repeat, and the
 * provider call carries the idempotency key, or, for providers without one, is guarded by a durable mark
 * (./send-guard.ts). Counting what was sent is the workflow's next step.
 */
export interface TenantSenders {
  channels: Partial<Record<Channel, ChannelAdapter>>;
  emailFrom?: string;
}

export function sendMessageActivity(deps: SendDeps) {
  const recordMark = deps.client ? recordMarkWith(deps.client) : undefined;
  return async function sendMessage(req: SendMessageRequest): Promise<SendMessageResult> {
    try {
      const of = tenantOfWorkflowId(req.workflowId);
      const tenant = deps.tenants && Object.hasOwn(deps.tenants, of) ? deps.tenants[of] : undefined;
      if (of !== DEFAULT_TENANT && !tenant) {
        // A tenant no longer configured (removed from AFTERCARE_TENANTS): never send as another business.
        throw new ChannelNotConfiguredError(
          `tenant "${of}" is not configured on this worker (AFTERCARE_TENANTS)`,
          'aftercare',
        );
      }
      const senders: TenantSenders = tenant ?? deps;
      const adapter = senders.channels[req.channel];
      if (!adapter) throw new ChannelNotConfiguredError(`no provider is configured for ${req.channel}`, 'aftercare');
      const data = withLinks(req, deps, (deps.now ?? Date.now)());
      const rendered = deps.renderer.render({
        kind: req.kind,
        channel: req.channel,
        locale: req.locale,
        fallbackLocale: req.fallbackLocale,
        timeZone: req.timeZone,
        brand: req.brand,
        recipientName: req.recipientName,
        data,
        ...(req.variant ? { variant: req.variant } : {}),
      });
      const oneTap = ratingOneTap(req, deps.keys.contacts, rendered.locale, of === DEFAULT_TENANT ? undefined : of);
      const content = compose(req, rendered, data, senders.emailFrom, oneTap);
      const message = {
        idempotencyKey: req.idempotencyKey,
        content,
        meta: {
          kind: req.kind,
          workflowId: req.workflowId,
          messageKey: req.messageKey,
          locale: rendered.locale,
          ...(req.variant ? { variant: req.variant.id } : {}),
        },
      };
      const sent = await guardedSend(adapter, message, recordMark, deps.now ?? Date.now);
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
  };
}
