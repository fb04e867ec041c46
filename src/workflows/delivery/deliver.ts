/**
 * The one delivery loop, shared by the order journey and the customer lifecycle: ask for a permit
 * (waiting out quiet hours and the frequency cap), try the permitted channels in order, record each
 * attempt, remember what a permanent failure says about the address, and count what was sent.
 * What differs between the two callers (where the permit comes from, how a wait is shown, where a
 * problem is reported) comes in through the Deliverer. Workflow code: deterministic.
 */
import { log, patched } from '@temporalio/workflow';
import { DeliveryFailureType } from '../../channels/errors';
import { PURPOSE_OF } from '../../messages/kinds';
import { variantFor } from '../../messages/variants';
import { bookkeeping, send } from '../activity-options';
import { countMessage, skipReasonCode } from '../metrics';
import { attemptSend } from './attempt';
import { channelsFor, NO_REACHABLE_CHANNEL, type MessageRecord, type SendPermit } from './contract';
import { sendRequest } from './send-request';
import type { Deliverer, Outgoing } from './deliverer';

export { FollowUpsCancelled, SkippedByOperator } from './errors';
export type { Deliverer, Outgoing } from './deliverer';

/** Delivers one message and returns its record (sent, skipped or failed); cancellation propagates. */
export async function deliver(d: Deliverer, message: Outgoing): Promise<MessageRecord> {
  const { playbook, workflowId } = d;
  const purpose = PURPOSE_OF[message.kind];
  // Chosen by input, not by a patch: only a playbook frozen with variants has any (older ones cannot), and the
  // choice is a pure function of it and the customer, so it costs no Action and replays the same.
  const variant = variantFor(playbook, message.kind, d.customerId);
  const record: MessageRecord = {
    key: message.key,
    kind: message.kind,
    purpose,
    status: 'pending',
    attempts: [],
    queuedAt: d.now(),
    ...(variant ? { variant: variant.id } : {}),
  };
  d.track(record);

  // Asked right before sending: an opt-out that arrived a second ago already counts.
  let permit: SendPermit;
  for (let round = 0; ; round++) {
    const asked = d.permit({
      permitId: `${workflowId}/${message.key}/${round}`,
      kind: message.kind,
      purpose,
      channels: message.channels ?? channelsFor(playbook, message.kind),
    });
    permit = isPromise(asked) ? await asked : asked;
    if (permit.decision !== 'wait') break;
    record.status = 'waiting';
    record.reason = d.waitReason(permit);
    await d.waitUntil(permit.reason, `${permit.reason} before ${message.kind} (${message.key})`, permit.until);
  }
  if (permit.decision === 'skip') {
    record.status = 'skipped';
    record.reason = permit.reason;
    countMessage('skipped', message.kind, skipReasonCode(permit.reason));
    log.info('message skipped', { messageKey: message.key, reason: permit.reason });
    // Not the customer's choice but nobody reachable.
    if (permit.reason.startsWith(NO_REACHABLE_CHANNEL)) d.onUndeliverable?.(record);
    return record;
  }
  record.status = 'pending';
  delete record.reason;

  for (const { channel, to, key, notBefore } of permit.channels) {
    if (notBefore) await d.waitUntil('quiet-hours', `quiet hours before ${message.kind} via ${channel}`, notBefore);
    d.beforeAttempt?.(message, channel);
    const request = sendRequest(d, message, permit, channel, to, variant);
    const what = `${message.kind} via ${channel} (${message.key})`;
    const once = (scheduleToCloseMs?: number) => send(playbook, what, request, d.byProvider, scheduleToCloseMs);
    const outcome = await attemptSend(
      record,
      channel,
      d.controlledSend ? () => d.controlledSend!(message.key, what, once) : () => once(),
      d.now,
    );
    if ('skipped' in outcome) {
      record.status = 'skipped';
      record.reason = outcome.skipped;
      countMessage('skipped', message.kind, 'operator');
      log.info('message skipped', { messageKey: message.key, reason: 'operator' });
      return record;
    }
    if (outcome.sent) {
      countMessage('sent', message.kind);
      // Counted after the send, never in its retry scope: a hiccup there can never re-send the message.
      const attributed = variant ? { variant: variant.id } : {};
      if (d.count) d.count({ kind: message.kind, key: `sent:${request.idempotencyKey}`, ...attributed });
      else if (patched('stats-after-send')) {
        await bookkeeping.recordStat({
          kind: message.kind,
          metric: 'sent',
          eventId: `sent:${request.idempotencyKey}`,
          ...attributed,
        });
      }
      return record;
    }
    // The failure's type only: a provider's message may quote the address (it is on the message record).
    log.warn('delivery attempt failed', { messageKey: message.key, channel, failure: outcome.failure });
    if (outcome.failure === DeliveryFailureType.outcomeUnknown && patched('outcome-unknown-ends-delivery')) {
      // The provider may have delivered it (no idempotency key, an attempt cut off after its request): another
      // channel could be a second copy on the customer's phone. Recorded as failed for an operator, who can check
      // the provider and retry; no other channel is tried.
      record.status = 'failed';
      record.reason = `outcome unknown on ${channel}: possibly delivered, not sent on another channel`;
      countMessage('failed', message.kind);
      d.onUndeliverable?.(record);
      return record;
    }
    if (outcome.problem) {
      const reported = d.reportProblem(
        {
          type: 'delivery-problem',
          channel,
          problem: outcome.problem,
          source: d.problemSource(message),
          eventId: `${workflowId}/${message.key}/${channel}/failed`,
          at: d.now(),
        },
        { channel, to, ...(key ? { key } : {}) },
      );
      if (isPromise(reported)) await reported;
    }
  }
  record.status = 'failed';
  countMessage('failed', message.kind);
  d.onUndeliverable?.(record);
  log.error('message could not be delivered on any channel', {
    messageKey: message.key,
    tried: permit.channels.map((c) => c.channel),
  });
  return record;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
