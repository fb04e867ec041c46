/**
 * The customer's lifecycle (workflows/customer/lifecycle.ts) played on virtual time, for a new customer with this
 * one order: it hears the journey's news, credits the order (a higher tier is told at once), and runs the
 * win-back once the order and its follow-ups are over. It keeps the frequency cap for every marketing message,
 * the journey's included. The decisions are the lifecycle's own functions (applyJourneyNews,
 * creditCompletedOrder, winbackDue, decidePermit, winbackMessage) on a state like the lifecycle's.
 */
import type { Playbook } from '../playbook/schema';
import { CODE_FORMATS } from '../workflows/codes';
import { marketingAllowed } from '../workflows/customer/consent';
import type { Lifecycle } from '../workflows/customer/context';
import {
  customerRulesOf,
  type ConsentState,
  type CustomerLifecycleState,
  type CustomerProfile,
  type WinbackAttempt,
} from '../workflows/customer/contract';
import { applyJourneyNews } from '../workflows/customer/journeys';
import { decidePermit } from '../workflows/customer/permit';
import { creditCompletedOrder } from '../workflows/customer/value';
import { skipWinback, winbackDue, winbackMessage } from '../workflows/customer/winback';
import type { JourneyNews, MessageRecord, SendPermitRequest } from '../workflows/delivery/contract';
import type { Order } from '../workflows/order/contract';
import { planDelivery, type PlannedMessage, type PreviewDeliverer } from './delivery';
import { placeholderCode } from './placeholders';
import type { VirtualTime } from './virtual-time';

export class LifecyclePlan {
  readonly state: CustomerLifecycleState;
  private readonly l: Lifecycle;
  private readonly deliverer: PreviewDeliverer;
  private dirty = false;

  constructor(
    private readonly time: VirtualTime,
    playbook: Playbook,
    order: Order & { placedAt: string },
    consent: ConsentState,
    out: PlannedMessage[],
  ) {
    const profile: CustomerProfile = stripUndefined(order.customer);
    this.state = {
      customerId: order.customer.id,
      profile,
      orders: [
        {
          orderId: order.orderId,
          placedAt: order.placedAt,
          currency: order.currency,
          totalMinor: order.totalMinor,
          status: 'active',
          // Journeys started today keep a snapshot and say when their follow-ups are done.
          snapshotted: true,
          reportsFollowUps: true,
        },
      ],
      consent,
      rules: customerRulesOf(playbook),
      contactKeys: [],
      firstSeenAt: order.placedAt,
      lastOrderAt: order.placedAt,
      generation: 0,
      playbook,
    };
    this.deliverer = {
      from: 'customer lifecycle',
      playbook,
      customerId: order.customer.id,
      time,
      out,
      permit: (request) => this.permit(request),
    };
    const now = () => new Date(time.now).toISOString();
    this.l = {
      state: this.state,
      workflowId: `preview-customer`,
      // A new customer's lifecycle starts on protocol 3: every feature on, the win-back after the follow-ups.
      lean: true,
      winbackAfterFollowUps: true,
      withConsent: true,
      withLoyalty: true,
      deliver: async (message) => asRecord(await planDelivery(this.deliverer, message)),
      sendInBackground: (work) => {
        time.spawn(async () => void (await work()));
        return Promise.resolve();
      },
      stats: [],
      ordersArrived: () => 1,
      now,
    };
  }

  /** A permit as the lifecycle decides it (its own messages, and the journey's marketing). */
  permit(request: SendPermitRequest) {
    const { state } = this;
    return decidePermit(state.consent, state.profile, request, state.rules!, this.time.now, {});
  }

  /** The journey's news, as the journeyNews signal (or a permit request carrying it) delivers it. */
  hear(news: JourneyNews): void {
    applyJourneyNews(this.l, news, (orderId, completedAt) => this.complete(orderId, completedAt));
    if (news.cancelledAt || news.followUpsDoneAt) this.dirty = true;
  }

  /** The main loop: wake for the win-back (or news), as the lifecycle's alarm does. */
  async run(): Promise<void> {
    const { state, time } = this;
    for (;;) {
      const due = winbackDue(this.l);
      await time.until(due?.at ?? Infinity, () => this.dirty);
      this.dirty = false;
      const nowDue = winbackDue(this.l);
      if (!nowDue || nowDue.at > time.now || !state.profile) continue;
      if (marketingAllowed(state.consent, state.profile, state.playbook!))
        await this.winback(nowDue.attempt, nowDue.gap);
      else this.skipped(nowDue.attempt, nowDue.gap);
    }
  }

  private complete(orderId: string, completedAt: string): void {
    const order = this.state.orders.find((o) => o.orderId === orderId);
    if (order && order.status !== 'completed') {
      order.status = 'completed';
      order.completedAt = completedAt;
      creditCompletedOrder(this.l, orderId);
    }
    this.dirty = true;
  }

  /** runWinback: the attempt is recorded when it starts (the next one counts from then), then delivered. */
  private async winback(attempt: 1 | 2, gap: string): Promise<void> {
    const { state, time } = this;
    const code = placeholderCode(state.playbook!.brand.name, CODE_FORMATS.winback);
    const entry: WinbackAttempt = {
      attempt,
      at: new Date(time.now).toISOString(),
      code,
      forLastOrderAt: gap,
      status: 'pending',
    };
    (state.winback ??= { attempts: [], converted: [] }).attempts.push(entry);
    const planned = await planDelivery(this.deliverer, winbackMessage(state, attempt, gap, code, time.now));
    entry.status = planned.skipped ? 'skipped' : 'sent';
  }

  /** No marketing consent: the attempt is recorded as skipped (and the preview says why). */
  private skipped(attempt: 1 | 2, gap: string): void {
    const { state, time } = this;
    skipWinback(this.l, attempt, gap);
    const code = placeholderCode(state.playbook!.brand.name, CODE_FORMATS.winback);
    const message = winbackMessage(state, attempt, gap, code, time.now);
    const decision = this.permit({
      permitId: `preview/winback-consent/${attempt}`,
      kind: 'winback',
      purpose: 'marketing',
      channels: state.playbook!.channels,
    });
    this.deliverer.out.push({
      key: message.key,
      kind: message.kind,
      purpose: 'marketing',
      to: 'customer',
      from: 'customer lifecycle',
      at: time.now,
      dueAt: time.now,
      held: [],
      passedOver: [],
      skipped: decision.decision === 'skip' ? decision.reason : 'no marketing consent',
      data: message.data,
    });
  }
}

/** What the lifecycle's own code reads of a delivered message. */
function asRecord(p: PlannedMessage): MessageRecord {
  return {
    key: p.key,
    kind: p.kind,
    purpose: p.purpose,
    status: p.skipped ? 'skipped' : 'sent',
    ...(p.skipped ? { reason: p.skipped } : {}),
    ...(p.channel ? { channel: p.channel } : {}),
    attempts: [],
    queuedAt: new Date(p.dueAt).toISOString(),
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
