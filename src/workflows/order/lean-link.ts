/**
 * The lean line to the customer's lifecycle (journeys started with a customer snapshot): transactional
 * messages are decided here, from the snapshot the lifecycle keeps current; marketing asks the lifecycle
 * (it owns the frequency cap), and the same request carries what the journey has to tell it. A delivery
 * problem goes at once, as one signal. Costs: no activity or update per transactional message, one signal
 * per change of the customer. Workflow code: deterministic.
 */
import { getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { percentOf, tierFor, tierRank } from '../../rules/loyalty';
import type { LoyaltyData } from '../../messages/data';
import type { Playbook } from '../../playbook/schema';
import { bookkeeping, bookkeepingActivities, BOOKKEEPING_OPTIONS } from '../activity-options';
import { summary } from '../../lib/bounded-text';
import type { Operations } from './operations';
import { customerEventSignal, customerLifecycleId, customerRulesOf, journeyNewsSignal } from '../customer/contract';
import { decidePermit } from '../customer/permit';
import { consentOf, type CustomerSnapshot, type JourneyNews } from '../customer/snapshot';
import { NO_REACHABLE_CHANNEL, type Recipient, type SendPermit, type SendPermitRequest } from '../delivery/contract';
import type { CustomerLink, Journey } from './context';
import { customerSnapshotSignal, type Order, type OrderJourneyInput } from './contract';
import { notifyOperator } from './operator';
import { tenantOfWorkflowId } from '../tenant';

type Lean = NonNullable<OrderJourneyInput['customer']>;

export function leanLinkToCustomer(
  j: Pick<Journey, 'order' | 'playbook' | 'state' | 'workflowId' | 'now'>,
  input: Lean,
  /** Runs a call to the lifecycle, marking the journey stuck while it goes unanswered too long (./operations). */
  lifecycleCall: Operations['lifecycleCall'] = (_what, call) => call(undefined),
): CustomerLink {
  const { order, playbook } = j;
  const customerId = order.customer.id;
  const lifecycle = () => getExternalWorkflowHandle(customerLifecycleId(customerId, tenantOfWorkflowId(j.workflowId)));
  let snapshot = input.snapshot;
  let pending: Omit<JourneyNews, 'orderId'> = {};
  let toldOperator = false;
  const show = () => {
    const blocked = Object.entries(snapshot.consent.channels)
      .filter(([, c]) => c?.blocked)
      .map(([channel]) => channel);
    for (const [id, c] of Object.entries(snapshot.consent.addresses ?? {}))
      if (c.blocked) blocked.push(id.split('/')[0]!);
    j.state.customer = {
      version: snapshot.version,
      stopped: !!snapshot.consent.stopped,
      blocked: [...new Set(blocked)],
    };
  };
  show();
  setHandler(customerSnapshotSignal, (next) => {
    if (next.version < snapshot.version) return;
    snapshot = next;
    show();
  });

  const { name, locale, timeZone, preferredChannels } = order.customer;
  const recipient: Recipient = {
    name,
    ...(locale ? { locale } : {}),
    ...(timeZone ? { timeZone } : {}),
    ...(preferredChannels ? { preferredChannels } : {}),
    addresses: input.addresses,
  };
  const closedReason = `${NO_REACHABLE_CHANNEL} (the lifecycle of customer ${customerId} is closed: terminated or failed; an operator must look at it)`;

  async function closed(): Promise<SendPermit> {
    if (!toldOperator) {
      toldOperator = true;
      log.error('customer lifecycle is closed', { customerId });
      await notifyOperator(
        j,
        'lifecycle-closed',
        {
          kind: 'operator_notice',
          data: {
            orderId: order.orderId,
            notice: `The customer's lifecycle (${customerLifecycleId(customerId, tenantOfWorkflowId(j.workflowId))}) is closed, so Aftercare sends this order's messages to nobody.`,
            operator: { customerId, customerName: order.customer.name },
          },
        },
        true,
      );
    }
    return { decision: 'skip', reason: closedReason };
  }

  const news = (): JourneyNews | undefined =>
    Object.keys(pending).length ? { orderId: order.orderId, ...pending } : undefined;

  /** Sends what is pending as one signal; a lifecycle that is gone hears nothing (nor needs to). */
  async function flush(ended = false): Promise<void> {
    if (ended) pending.ended = true;
    const batch = news();
    if (!batch || snapshot.closed) return;
    pending = {};
    try {
      await lifecycle().signal(journeyNewsSignal, batch);
    } catch (err) {
      log.warn('journey news not delivered', { failure: (err as Error).name });
    }
  }

  return {
    lean: true,
    lifecycleClosedOrThrow: async (err) => {
      throw err;
    },
    permit: (request: SendPermitRequest) => {
      if (snapshot.closed) return closed();
      const ask = { ...request, orderId: order.orderId, recipient };
      if (request.purpose === 'transactional') {
        const permit = decidePermit(consentOf(snapshot), order.customer, ask, customerRulesOf(playbook), Date.now(), {
          ...(snapshot.linkedChat ? { linkedChat: snapshot.linkedChat } : {}),
        });
        // The thank-you shows the customer's standing: the snapshot's, with this order credited.
        const personal = permit.decision === 'send' && snapshot.personal ? { personal: snapshot.personal } : {};
        return permit.decision === 'send' && request.kind === 'thank_you'
          ? { ...permit, loyalty: standingAfter(snapshot, order, playbook), ...personal }
          : { ...permit, ...personal };
      }
      const carried = news();
      pending = {};
      const { recipient: _keyed, ...plain } = ask;
      const { email, phone, telegramChatId } = order.customer;
      const permitRequest = {
        ...plain,
        recipient: { ...recipient, addresses: { email, phone, telegramChatId } },
        ...(carried ? { news: carried } : {}),
      };
      return lifecycleCall(`a send permit for ${request.kind}`, (scheduleToCloseMs) =>
        scheduleToCloseMs
          ? bookkeepingActivities.requestSendPermit.executeWithOptions(
              {
                ...BOOKKEEPING_OPTIONS,
                scheduleToCloseTimeout: scheduleToCloseMs,
                summary: summary(`send permit for ${request.kind}`),
              },
              [customerId, permitRequest],
            )
          : bookkeeping.requestSendPermit(customerId, permitRequest),
      );
    },
    report: async (event, address) => {
      const keyed = address?.key ? { ...event, contactKey: address.key } : event;
      try {
        await lifecycle().signal(customerEventSignal, keyed);
      } catch (err) {
        log.warn('customer event not delivered', { failure: (err as Error).name });
      }
    },
    tell: async (item) => {
      pending = { ...pending, ...item };
    },
    flush,
  };
}

/** The customer's standing once this order is credited: what the lifecycle will hold when it hears of it. */
export function standingAfter(snapshot: CustomerSnapshot, order: Order, playbook: Playbook): LoyaltyData {
  const before = snapshot.loyalty ?? { completedOrders: 0, spendMinor: 0, cashbackBalanceMinor: 0 };
  const after = {
    completedOrders: before.completedOrders + 1,
    spendMinor: before.spendMinor + order.totalMinor,
    cashbackBalanceMinor: before.cashbackBalanceMinor + percentOf(order.totalMinor, playbook.loyalty.cashbackPercent),
  };
  const tiers = playbook.loyalty.tiers;
  const reached = tierFor(after, tiers);
  const tierId = reached && tierRank(tiers, reached.id) > tierRank(tiers, before.tier) ? reached.id : before.tier;
  const tier = tiers.find((t) => t.id === tierId);
  return {
    ...(tier ? { tier: tier.id, tierLabel: tier.label, discountPercent: tier.discountPercent } : {}),
    cashbackBalanceMinor: after.cashbackBalanceMinor,
    currency: before.currency ?? order.currency,
  };
}
