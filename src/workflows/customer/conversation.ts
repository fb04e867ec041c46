/**
 * The lifecycle's side of the conversation: what the customer wrote, kept bounded in their profile; a message no
 * running journey could take is forwarded to the business from here, and the customer hears "we'll get back to
 * you" on the channel they wrote on. The bounds are shared with the journey's record (order/replies.ts). The text
 * is personal data: it lives in state (encrypted by the payload codec), never in logs. Workflow code: deterministic.
 */
import { log } from '@temporalio/workflow';
import { notifyOperator } from '../order/operator';
import type { CustomerEvent } from './contract';
import { appended, clipText } from './conversation-entries';
import type { Lifecycle } from './context';

type Inbound = Extract<CustomerEvent, { type: 'inbound' }>;

/** Keeps what the customer wrote; with no order it went to (no journey of theirs runs), tells the business. */
export function rememberInbound(l: Lifecycle, event: Inbound): void {
  // No text: a message we could not read, or the same contact's message kept by another customer's profile.
  if (event.text === undefined) return;
  const { state } = l;
  const forward = event.orderId === undefined;
  state.conversation = appended(state.conversation, {
    at: event.at,
    channel: event.channel,
    direction: 'in',
    text: event.text,
    ...(event.orderId ? { orderId: event.orderId } : {}),
    ...(forward ? { outcome: 'forwarded' as const } : event.outcome ? { outcome: event.outcome } : {}),
    eventId: event.eventId,
  });
  if (forward) void l.sendInBackground(() => forwardKept(l, event, event.text!));
}

/** The business hears what the customer wrote (their latest order named), and the customer that it arrived. */
async function forwardKept(l: Lifecycle, event: Inbound, text: string): Promise<void> {
  const { state } = l;
  const playbook = state.playbook;
  if (!playbook || !state.profile) {
    log.warn('customer message kept, not forwarded: no playbook yet', { eventId: event.eventId });
    return;
  }
  // Keys from the provider's id: a lifecycle that continued as new sends a redelivered message's news once too.
  const key = `reply-${event.eventId}`;
  const orderId = state.orders.at(-1)?.orderId ?? '';
  await notifyOperator(
    { playbook, workflowId: l.workflowId, now: l.now },
    `operator-message-${event.eventId}`,
    {
      kind: 'operator_message',
      data: {
        orderId,
        message: { text: clipText(text), channel: event.channel },
        operator: { customerId: state.customerId, customerName: state.profile.name },
      },
    },
    l.lean,
  );
  const ack = await l.deliver({ key, kind: 'reply_received', data: { orderId }, channels: [event.channel] });
  if (ack.status !== 'sent') return;
  state.conversation = appended(state.conversation, {
    at: l.now(),
    channel: ack.channel ?? event.channel,
    direction: 'out',
    text: 'reply_received',
    ...(orderId ? { orderId } : {}),
    outcome: 'acknowledged',
  });
}
