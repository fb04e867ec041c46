/**
 * What both message senders share (the order journey and the customer lifecycle): the send
 * activity's options, the request fields filled from the playbook and the permit, and one attempt
 * on one channel recorded on the message with its failure classified. Workflow code: deterministic.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, type ActivityOptions } from '@temporalio/workflow';
import type { SendMessageRequest, SendMessageResult } from '../activities';
import {
  DELIVERY_PROBLEM_OF,
  idempotencyKeyFor,
  PURPOSE_OF,
  type CustomerEvent,
  type MessageKind,
  type MessageRecord,
  type SendPermit,
} from '../contract';
import type { MessageData } from '../messages/types';
import type { Channel, Playbook } from '../playbook/schema';

/** Transient provider trouble is retried (same idempotency key) until the playbook gives up. */
export const sendActivityOptions = (playbook: Playbook) =>
  ({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: playbook.delivery.giveUpAfter,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  }) satisfies ActivityOptions;

export function sendRequest(p: {
  playbook: Playbook;
  workflowId: string;
  customerId: string;
  key: string;
  kind: MessageKind;
  channel: Channel;
  to: string;
  permit: Extract<SendPermit, { decision: 'send' }>;
  data: MessageData;
}): SendMessageRequest {
  return {
    idempotencyKey: idempotencyKeyFor(p.workflowId, p.key, p.channel),
    workflowId: p.workflowId,
    customerId: p.customerId,
    messageKey: p.key,
    kind: p.kind,
    purpose: PURPOSE_OF[p.kind],
    channel: p.channel,
    to: p.to,
    recipientName: p.permit.name,
    locale: p.permit.locale,
    timeZone: p.permit.timeZone,
    fallbackLocale: p.playbook.defaultLocale,
    brand: p.playbook.brand,
    data: p.data,
    whatsapp: { windowOpen: p.permit.whatsappWindowOpen, template: p.playbook.whatsapp.templates[p.kind] },
    smsMaxSegments: p.playbook.sms.maxSegments,
  };
}

export type DeliveryProblem = Extract<CustomerEvent, { type: 'delivery-problem' }>['problem'];
export type AttemptOutcome = { sent: true } | { sent: false; error: string; problem?: DeliveryProblem };

/**
 * One attempt on one channel, recorded on the message. A permanent failure, or transient trouble
 * that outlasted giveUpAfter, is returned (with the channel problem to remember, if any) so the
 * caller can try the next channel; cancellation propagates.
 */
export async function attemptSend(
  record: MessageRecord,
  channel: Channel,
  send: () => Promise<SendMessageResult>,
  nowIso: () => string,
): Promise<AttemptOutcome> {
  try {
    const result = await send();
    record.attempts.push({
      channel,
      outcome: 'sent',
      provider: result.provider,
      providerMessageId: result.providerMessageId,
      at: nowIso(),
    });
    record.status = 'sent';
    record.channel = channel;
    return { sent: true };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : 'Error';
    const error = cause instanceof Error ? `${type}: ${cause.message}` : String(cause);
    record.attempts.push({ channel, outcome: 'failed', error, at: nowIso() });
    const problem = DELIVERY_PROBLEM_OF[type];
    return { sent: false, error, ...(problem ? { problem } : {}) };
  }
}
