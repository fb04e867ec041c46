/**
 * The reply router: what a customer wrote back on SMS, Telegram or WhatsApp goes to the order it is about. Its
 * customers are found by the contact's keyed hash (as a STOP is), their running journeys by visibility (free), and
 * one journey is chosen: the order a button names (none if that journey is over); else the only one running; else
 * the journey whose message they replied to (the provider's reply context); else the one whose survey went out
 * last; else the newest. Only the last three, with several journeys running, query journeys (a billed Action each).
 * Then ONE durable signal per customer: the `inbound` event (text, rating, the chosen order) to their lifecycle,
 * which drops a replayed eventId (a redelivered webhook, even one this router would now route elsewhere) and hands
 * a new reply on to the order's journey (one external signal), or handles it itself. The webhook answers once that
 * signal is accepted: nothing waits for a worker. The text is never logged.
 */
import pLimit from 'p-limit';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { InboundReply, ReplyOutcome, ReplyRouter } from './inbound-reply';
import { orderRef, parseRating, type Rating } from '../channels/replies';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  customerEventSignal,
  type CustomerEvent,
} from '../workflows/customer/contract';
import { clipText } from '../workflows/customer/conversation-entries';
import { ORDER_JOURNEY, ORDER_SA, getJourneyQuery, type OrderJourneyState } from '../workflows/order/contract';
import { DEFAULT_TENANT, TENANT_SA, tenantClause, tenantOfWorkflowId, tenantPrefix } from '../workflows/tenant';

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
  /** Tenants with their own Twilio account: an SMS to the deployment's number is never about their customers. */
  ownSmsTenants?: string[];
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
    const owners = await this.ownersOf(reply.contactKeys, reply.channel);
    if (owners.length === 0) return { outcome: 'unknown' };
    const chosen = await this.choose(reply, await this.runningJourneys(owners, reply.channel));
    const rated: Rating | undefined = reply.button ? { rating: reply.button.rating } : this.readRating(reply.text);
    const event = { type: 'inbound' as const, channel: reply.channel, source: reply.channel, eventId: reply.eventId };
    const told = { ...event, at: reply.at } satisfies CustomerEvent;
    const written: CustomerEvent = {
      ...told,
      text: clipText(reply.text),
      ...(chosen ? { orderId: chosen.orderId } : {}),
      ...(rated ? { rating: rated.rating } : {}),
      ...(rated?.comment ? { comment: clipText(rated.comment) } : {}),
      ...(reply.button ? { button: true } : {}),
    };
    // One event per customer: the one the reply is about gets its text (their lifecycle hands it to the order's
    // journey, or handles it); anyone else with the same contact only hears that it wrote (channel news).
    const keeper = chosen?.owner ?? [...owners].sort((a, b) => a.lifecycleId.localeCompare(b.lifecycleId))[0]!;
    // Side by side, as the consent webhooks do (a shared number can be on many customers).
    const limit = pLimit(8);
    await Promise.all([...owners].map((o) => limit(() => this.signal(o.lifecycleId, o === keeper ? written : told))));
    return chosen ? { outcome: 'routed', orderId: chosen.orderId } : { outcome: 'kept' };
  }

  /** The running lifecycles that carry one of the contact's keys. */
  private async ownersOf(keys: string[], channel: InboundReply['channel']): Promise<Owner[]> {
    const safe = [...new Set(keys.map((k) => k.replace(/[^A-Za-z0-9_-]/g, '')).filter(Boolean))];
    if (safe.length === 0) return [];
    const query = `${CUSTOMER_SA.contactKeys.name} IN (${safe.map((k) => `"${k}"`).join(', ')}) AND WorkflowType = "${CUSTOMER_LIFECYCLE}" AND ExecutionStatus = "Running"${this.scope(channel)}`;
    const owners: Owner[] = [];
    for await (const wf of this.client.workflow.list({ query, pageSize: 100 })) {
      const customerId = wf.typedSearchAttributes.get(CUSTOMER_SA.customerId);
      if (customerId)
        owners.push({ lifecycleId: wf.workflowId, customerId, tenant: tenantOfWorkflowId(wf.workflowId) });
    }
    return owners;
  }

  /** Their running order journeys (visibility: no Action), each in its own customer's tenant. */
  private async runningJourneys(owners: Owner[], channel: InboundReply['channel']): Promise<Candidate[]> {
    const ids = [...new Set(owners.map((o) => o.customerId))];
    const query = `${CUSTOMER_SA.customerId.name} IN (${ids.map((id) => JSON.stringify(id)).join(', ')}) AND WorkflowType = "${ORDER_JOURNEY}" AND ExecutionStatus = "Running"${this.scope(channel)}`;
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

  /**
   * A tenant's own account reaches its customers only; the deployment's SMS number reaches no customer of a tenant
   * with its own (they text that one: "5" to ours is another business's customer's).
   */
  private scope(channel: InboundReply['channel']): string {
    if (tenantPrefix(this.opts.tenant)) return ` AND ${tenantClause(this.opts.tenant)}`;
    const elsewhere = channel === 'sms' ? (this.opts.ownSmsTenants ?? []).filter((t) => tenantPrefix(t)) : [];
    if (elsewhere.length === 0) return '';
    const names = elsewhere.map((t) => JSON.stringify(t)).join(', ');
    return ` AND (${TENANT_SA.tenant.name} IS NULL OR ${TENANT_SA.tenant.name} NOT IN (${names}))`;
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
