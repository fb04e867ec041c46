/**
 * Telling the business's own team, at once, on every operator channel of the playbook: an unhappy
 * customer, or an order that needs a person. Workflow code: deterministic.
 */
import { log } from '@temporalio/workflow';
import type { KindAndData } from '../../messages/data';
import { send } from '../activity-options';
import { idempotencyKeyFor } from '../delivery/contract';
import type { Journey } from './context';
import type { OrderJourneyState } from './contract';

type ToOperator = Extract<KindAndData, { kind: 'operator_alert' | 'operator_notice' | 'operator_message' }>;

/** Who tells the business: a journey (it records each send in operatorAlerts), or a customer's lifecycle. */
export type OperatorSender = Pick<Journey, 'playbook' | 'workflowId' | 'now'> & {
  state?: Pick<OrderJourneyState, 'operatorAlerts'>;
};

const WHAT: Record<ToOperator['kind'], string> = {
  operator_alert: 'operator alert',
  operator_notice: 'operator notice',
  operator_message: 'operator message',
};

/** Sends to every operator channel of the playbook; answers how many sends succeeded. */
export async function notifyOperator(
  j: OperatorSender,
  messageKey: string,
  message: ToOperator,
  /** Lean journeys: on the channel's provider queue, first in line. */
  byProvider = false,
): Promise<number> {
  const { playbook, state, workflowId } = j;
  let sent = 0;
  const targets = [
    ...(playbook.operator.email ? [{ channel: 'email' as const, to: playbook.operator.email }] : []),
    ...(playbook.operator.telegramChatId
      ? [{ channel: 'telegram' as const, to: playbook.operator.telegramChatId }]
      : []),
  ];
  const what = WHAT[message.kind];
  for (const target of targets) {
    try {
      await send(
        playbook,
        `${what} via ${target.channel}`,
        {
          idempotencyKey: idempotencyKeyFor(workflowId, messageKey, target.channel),
          workflowId,
          messageKey,
          ...message,
          purpose: 'transactional',
          channel: target.channel,
          to: target.to,
          recipientName: playbook.brand.name,
          fallbackLocale: playbook.defaultLocale,
          brand: playbook.brand,
        },
        byProvider,
      );
      state?.operatorAlerts.push({ channel: target.channel, outcome: 'sent', at: j.now() });
      sent += 1;
    } catch (err) {
      state?.operatorAlerts.push({ channel: target.channel, outcome: 'failed', at: j.now() });
      log.error(`${what} failed`, { channel: target.channel, failure: (err as Error).name });
    }
  }
  return sent;
}
