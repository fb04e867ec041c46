/**
 * The lifecycle's side of the conversation. Every reply reaches the lifecycle first (one durable signal from the
 * API), and the lifecycle is its de-dup authority (a replayed eventId never gets here: consent.ts). It keeps what
 * the customer wrote, bounded, in their profile; with the order the API chose it hands the reply on to that
 * journey (one external signal), which answers the survey or forwards it. With no order, or when that journey has
 * ended, the lifecycle handles it itself: a rating is only recorded (no survey is open), anything else is forwarded
 * to the business and the customer hears "we'll get back to you", within the limits of reply-limits.ts. The text is
 * personal data: it lives in state (encrypted by the payload codec), never in logs. Workflow code: deterministic.
 */
import { ApplicationFailure, getExternalWorkflowHandle, log } from '@temporalio/workflow';
import { notifyOperator } from '../order/operator';
import { customerReplySignal, orderJourneyId } from '../order/contract';
import { tenantOfWorkflowId } from '../tenant';
import type { ConversationEntry, CustomerEvent } from './contract';
import { acknowledged, appended, operatorMessage } from './conversation-entries';
import type { Lifecycle } from './context';
import { isRating, takeAllowance } from './reply-limits';

type Inbound = Extract<CustomerEvent, { type: 'inbound' }>;

const gone = (err: unknown) => err instanceof ApplicationFailure && err.type === 'ExternalWorkflowExecutionNotFound';

/** Keeps what the customer wrote, and hands it to its order's journey or handles it here. */
export function rememberInbound(l: Lifecycle, event: Inbound): void {
  // No text: a message we could not read, or the same contact's message kept by another customer's profile.
  if (event.text === undefined) return;
  const { state } = l;
  const entry: ConversationEntry = {
    at: event.at,
    channel: event.channel,
    direction: 'in',
    text: event.text,
    ...(event.orderId ? { orderId: event.orderId } : {}),
    eventId: event.eventId,
  };
  if (!event.orderId) {
    state.conversation = appended(state.conversation, { ...entry, outcome: handleHere(l, event, event.text) });
    return;
  }
  state.conversation = appended(state.conversation, entry);
  void l.sendInBackground(() => handOn(l, event, event.orderId!, event.text!));
}

/** One external signal to the journey (durable; it answers or forwards); an ended journey: handled here. */
async function handOn(l: Lifecycle, event: Inbound, orderId: string, text: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(orderJourneyId(orderId, tenantOfWorkflowId(l.workflowId))).signal(
      customerReplySignal,
      {
        channel: event.channel,
        text,
        ...(isRating(event.rating) ? { rating: event.rating } : {}),
        ...(event.comment ? { comment: event.comment } : {}),
        eventId: event.eventId,
        at: event.at,
      },
    );
  } catch (err) {
    if (!gone(err)) throw err;
    const order = l.state.orders.find((o) => o.orderId === orderId);
    if (order) order.journeyEnded = true;
    const outcome = handleHere(l, event, text);
    const kept = l.state.conversation?.find((e) => e.eventId === event.eventId && e.direction === 'in');
    if (kept) kept.outcome = outcome;
  }
}

/** No journey takes it: a rating is recorded; anything else is forwarded (and acknowledged) within the limits. */
function handleHere(l: Lifecycle, event: Inbound, text: string): NonNullable<ConversationEntry['outcome']> {
  if (isRating(event.rating)) return 'recorded';
  const allowed = takeAllowance((l.state.replyLimits ??= {}), event.channel, Date.now());
  if (!allowed.forward) return 'recorded';
  void l.sendInBackground(() => forwardKept(l, event, text, allowed.acknowledge));
  return 'forwarded';
}

/** The business hears what the customer wrote (their order named), and maybe the customer that it arrived. */
async function forwardKept(l: Lifecycle, event: Inbound, text: string, acknowledge: boolean): Promise<void> {
  const { state } = l;
  const playbook = state.playbook;
  if (!playbook || !state.profile) {
    log.warn('customer message kept, not forwarded: no playbook yet', { eventId: event.eventId });
    return;
  }
  // Keys from the provider's id: a lifecycle that continued as new sends a redelivered message's news once too.
  const key = `reply-${event.eventId}`;
  const orderId = event.orderId ?? state.orders.at(-1)?.orderId ?? '';
  await notifyOperator(
    { playbook, workflowId: l.workflowId, now: l.now },
    `operator-message-${event.eventId}`,
    operatorMessage(orderId, { text, channel: event.channel }, state.profile),
    l.lean,
  );
  if (!acknowledge) return;
  const ack = await l.deliver({ key, kind: 'reply_received', data: { orderId }, channels: [event.channel] });
  if (ack.status !== 'sent') return;
  state.conversation = appended(state.conversation, acknowledged(l.now(), ack.channel ?? event.channel, orderId));
}
