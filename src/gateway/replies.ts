/**
 * The reply router: what a customer wrote back on SMS, Telegram or WhatsApp goes to the order it is about. Its
 * customers are found by the contact's keyed hash (as a STOP is), their running journeys by visibility (free), and
 * one journey is chosen: the order a button names (none if that journey is over); else the only one running; else the journey whose message they
 * replied to (the provider's reply context); else the one whose survey went out last; else the newest. Only the
 * last three, with several journeys running, query journeys (a billed Action each). The journey takes the reply
 * with the customerReply update (its id from the provider's message id: a redelivered webhook is the same update),
 * then the customer's lifecycle gets one `inbound` event with the text, the order and the outcome. No running
 * journey: the lifecycle alone gets it, and forwards it to the business. The text is never logged.
 */
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { InboundReply, ReplyOutcome, ReplyRouter } from '../api/webhooks/replies';
import { orderRef, parseRating, type Rating } from '../channels/replies';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  customerEventSignal,
  type CustomerEvent,
} from '../workflows/customer/contract';
import { clipText } from '../workflows/customer/conversation-entries';
import {
  ORDER_JOURNEY,
  ORDER_SA,
  customerReplyUpdate,
  getJourneyQuery,
  type CustomerReply,
  type OrderJourneyState,
} from '../workflows/order/contract';
import { DEFAULT_TENANT, tenantClause, tenantOfWorkflowId, tenantPrefix } from '../workflows/tenant';

/** What a journey shows while the survey waits for an answer (and, on older journeys, for a changed one). */
const WAITING_FOR_ANSWER = new Set(['survey-answer', 'answer-change']);

interface Owner {
  lifecycleId: string;
  customerId: string;
  tenant: string;
}

interface Candidate {
  workflowId: string;
  orderId: string;
  owner: Owner;
  waitingForAnswer: boolean;
  startedAt: number;
}

export interface ReplyGatewayOptions {
  /** The contacts key (Keys.contacts): rating buttons name their order by a hash under it. */
  contactsKey: string;
  /** Only this tenant's customers (a tenant's own provider account); undefined: every tenant's. */
  tenant?: string;
  /** Reads a rating out of the text (default: parseRating, ASCII and Bengali digits). */
  readRating?: (text: string) => Rating | undefined;
}

export class ReplyGateway implements ReplyRouter {
  private readonly readRating: (text: string) => Rating | undefined;

  constructor(
    private readonly client: Client,
    private readonly opts: ReplyGatewayOptions,
  ) {
    this.readRating = opts.readRating ?? parseRating;
  }

  async route(reply: InboundReply): Promise<ReplyOutcome> {
    const owners = await this.ownersOf(reply.contactKeys);
    if (owners.length === 0) return { outcome: 'unknown' };
    const candidates = await this.runningJourneys(owners);
    const chosen = await this.choose(reply, candidates);
    const text = clipText(reply.text);
    const base = { type: 'inbound' as const, channel: reply.channel, source: reply.channel };
    const event = { ...base, eventId: reply.eventId, at: reply.at };

    let outcome: ReplyOutcome = { outcome: 'kept' };
    if (chosen) {
      const rated: Rating | undefined = reply.button ? { rating: reply.button.rating } : this.readRating(reply.text);
      const input: CustomerReply = {
        channel: reply.channel,
        text,
        ...(rated ? { rating: rated.rating } : {}),
        ...(rated?.comment ? { comment: rated.comment } : {}),
        eventId: reply.eventId,
        at: reply.at,
      };
      try {
        const result = await this.client.workflow
          .getHandle(chosen.workflowId)
          .executeUpdate(customerReplyUpdate, { args: [input], updateId: `reply:${reply.eventId}` });
        outcome = { outcome: result.outcome, orderId: chosen.orderId };
      } catch (err) {
        // The journey ended meanwhile, or runs code from before replies: its customer's lifecycle keeps it.
        if (!(err instanceof WorkflowNotFoundError) && !(err instanceof WorkflowUpdateFailedError)) throw err;
      }
    }

    // One event per customer: the one the reply went to gets its text (kept in their profile; forwarded by the
    // lifecycle when no journey took it); anyone else with the same contact only hears that it wrote (channel news).
    const keeper = chosen?.owner ?? [...owners].sort((a, b) => a.lifecycleId.localeCompare(b.lifecycleId))[0]!;
    for (const owner of owners) {
      const theirs: CustomerEvent =
        owner.lifecycleId !== keeper.lifecycleId
          ? event
          : outcome.outcome === 'answer' || outcome.outcome === 'forwarded'
            ? { ...event, text, orderId: outcome.orderId, outcome: outcome.outcome }
            : { ...event, text };
      await this.signal(owner.lifecycleId, theirs);
    }
    return outcome;
  }

  /** The running lifecycles that carry one of the contact's keys. */
  private async ownersOf(keys: string[]): Promise<Owner[]> {
    const safe = [...new Set(keys.map((k) => k.replace(/[^A-Za-z0-9_-]/g, '')).filter(Boolean))];
    if (safe.length === 0) return [];
    const query = `${CUSTOMER_SA.contactKeys.name} IN (${safe.map((k) => `"${k}"`).join(', ')}) AND WorkflowType = "${CUSTOMER_LIFECYCLE}" AND ExecutionStatus = "Running"${this.scope()}`;
    const owners: Owner[] = [];
    for await (const wf of this.client.workflow.list({ query, pageSize: 100 })) {
      const customerId = wf.typedSearchAttributes.get(CUSTOMER_SA.customerId);
      if (customerId)
        owners.push({ lifecycleId: wf.workflowId, customerId, tenant: tenantOfWorkflowId(wf.workflowId) });
    }
    return owners;
  }

  /** Their running order journeys (visibility: no Action), each in its own customer's tenant. */
  private async runningJourneys(owners: Owner[]): Promise<Candidate[]> {
    const ids = [...new Set(owners.map((o) => o.customerId))];
    const query = `${CUSTOMER_SA.customerId.name} IN (${ids.map((id) => JSON.stringify(id)).join(', ')}) AND WorkflowType = "${ORDER_JOURNEY}" AND ExecutionStatus = "Running"${this.scope()}`;
    const found: Candidate[] = [];
    for await (const wf of this.client.workflow.list({ query, pageSize: 100 })) {
      const candidate = this.candidateOf(wf, owners);
      if (candidate) found.push(candidate);
    }
    return found;
  }

  private candidateOf(wf: WorkflowExecutionInfo, owners: Owner[]): Candidate | undefined {
    const customerId = wf.typedSearchAttributes.get(CUSTOMER_SA.customerId);
    const orderId = wf.typedSearchAttributes.get(ORDER_SA.orderId);
    const tenant = tenantOfWorkflowId(wf.workflowId);
    // The same customer id in another tenant is another business's customer.
    const owner = owners.find((o) => o.customerId === customerId && o.tenant === tenant);
    if (!owner || !orderId) return undefined;
    return {
      workflowId: wf.workflowId,
      orderId,
      owner,
      waitingForAnswer: WAITING_FOR_ANSWER.has(wf.typedSearchAttributes.get(ORDER_SA.waitingFor) ?? ''),
      startedAt: wf.startTime.getTime(),
    };
  }

  /** The journey the reply is about (see the file's comment for the order of the rules); none: the lifecycle keeps it. */
  private async choose(reply: InboundReply, candidates: Candidate[]): Promise<Candidate | undefined> {
    // A button names its order: if that journey is over, the tap is not another order's answer.
    if (reply.button) return candidates.find((c) => this.refOf(c) === reply.button!.orderRef);
    if (candidates.length <= 1) return candidates[0];
    const states = new Map<string, Promise<OrderJourneyState | undefined>>();
    const stateOf = (c: Candidate) => {
      if (!states.has(c.workflowId)) states.set(c.workflowId, this.query(c.workflowId));
      return states.get(c.workflowId)!;
    };
    if (reply.replyTo) {
      for (const c of candidates) {
        const state = await stateOf(c);
        const ours = state?.messages.some((m) => m.attempts.some((a) => a.providerMessageId === reply.replyTo));
        if (ours) return c;
      }
    }
    const waiting = candidates.filter((c) => c.waitingForAnswer);
    if (waiting.length === 1) return waiting[0]!;
    if (waiting.length > 1) {
      const sentAt = await Promise.all(waiting.map(async (c) => surveySentAt(await stateOf(c))));
      const latest = sentAt.indexOf(Math.max(...sentAt));
      return waiting[latest]!;
    }
    return candidates.reduce((a, b) => (b.startedAt > a.startedAt ? b : a));
  }

  private refOf(c: Candidate): string {
    return orderRef(this.opts.contactsKey, c.orderId, c.owner.tenant === DEFAULT_TENANT ? undefined : c.owner.tenant);
  }

  private async query(workflowId: string): Promise<OrderJourneyState | undefined> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(getJourneyQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  private async signal(lifecycleId: string, event: CustomerEvent): Promise<void> {
    try {
      await this.client.workflow.getHandle(lifecycleId).signal(customerEventSignal, event);
    } catch (err) {
      // Gone (erased) since the lookup: nobody to tell.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  /** A tenant's own account reaches its customers only. */
  private scope(): string {
    return tenantPrefix(this.opts.tenant) ? ` AND ${tenantClause(this.opts.tenant)}` : '';
  }
}

/** When the survey (or its reminder) last went out to the customer; 0 when it has not. */
function surveySentAt(state: OrderJourneyState | undefined): number {
  let latest = 0;
  for (const m of state?.messages ?? []) {
    if (m.kind !== 'survey' && m.kind !== 'survey_reminder') continue;
    for (const a of m.attempts) if (a.outcome === 'sent') latest = Math.max(latest, Date.parse(a.at));
  }
  return latest;
}
