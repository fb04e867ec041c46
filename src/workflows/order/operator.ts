/**
 * Telling the business's own team, at once, on every operator channel of the playbook: an unhappy
 * customer, or an order that needs a person. Workflow code: deterministic.
 */
import { log } from '@temporalio/workflow';
import type { KindAndData } from '../../messages/data';
import { send } from '../activity-options';
import { idempotencyKeyFor } from '../delivery/contract';
import type { Journey } from './context';

type ToOperator = Extract<KindAndData, { kind: 'operator_alert' | 'operator_notice' }>;

export async function notifyOperator(
  j: Pick<Journey, 'order' | 'playbook' | 'state' | 'workflowId' | 'now'>,
  messageKey: string,
  message: ToOperator,
  /** Lean journeys: on the channel's provider queue, first in line. */
  byProvider = false,
): Promise<void> {
  const { playbook, state, workflowId } = j;
  const targets = [
    ...(playbook.operator.email ? [{ channel: 'email' as const, to: playbook.operator.email }] : []),
    ...(playbook.operator.telegramChatId
      ? [{ channel: 'telegram' as const, to: playbook.operator.telegramChatId }]
      : []),
  ];
  const what = message.kind === 'operator_alert' ? 'operator alert' : 'operator notice';
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
      state.operatorAlerts.push({ channel: target.channel, outcome: 'sent', at: j.now() });
    } catch (err) {
      state.operatorAlerts.push({ channel: target.channel, outcome: 'failed', at: j.now() });
      log.error(`${what} failed`, { channel: target.channel, failure: (err as Error).name });
    }
  }
}
