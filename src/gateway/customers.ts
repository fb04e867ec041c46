import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { tenantClause, withinTenant } from '../workflows/tenant';
import { NotFoundError } from '../errors';
import { boundedUpdateId, updateIdFor, type RequestOptions } from './idempotency';
import type { Consent } from '../schemas/customers';
import type { ConsentView, CustomerView } from '../schemas/views';
import {
  CUSTOMER_LIFECYCLE,
  CUSTOMER_SA,
  customerEventSignal,
  customerLifecycleId,
  getCustomerQuery,
  updateCustomerUpdate,
  applyCustomerEventUpdate,
  type ConsentMark,
  type CustomerEvent,
  type CustomerLifecycleState,
  type CustomerPatch,
} from '../workflows/customer/contract';

/**
 * What inbound webhooks and the consent API need from Aftercare: find the customer a contact
 * belongs to (by its keyed hash, see src/channels/contact-keys.ts) and hand their lifecycle an event.
 * CustomerGateway implements it against Temporal; tests may record calls instead.
 */
export interface CustomerEventSink {
  /** Every customer whose lifecycle carries one of these contact keys (none when unknown). */
  findCustomersByContactKeys(keys: string[]): Promise<string[]>;
  /** Delivers the event to the customer's lifecycle (which ignores replayed event ids). */
  recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void>;
}

/** The customers' lifecycles in Temporal, for validated input; unknown customers are 404s. */
export class CustomerGateway implements CustomerEventSink {
  constructor(
    private readonly client: Client,
    private readonly now: () => Date,
    /** Whose customers these are (undefined: the default tenant). */
    private readonly tenant?: string,
    /** Other tenants share the namespace: the default tenant's queries keep to its own workflows too. */
    private readonly othersShare = false,
  ) {}

  /** The customer's lifecycle's workflow id, in this gateway's tenant. */
  lifecycleIdOf(customerId: string): string {
    return customerLifecycleId(customerId, this.tenant);
  }

  private handle(customerId: string) {
    return this.client.workflow.getHandle(customerLifecycleId(customerId, this.tenant));
  }

  async get(customerId: string): Promise<CustomerLifecycleState> {
    try {
      return await this.handle(customerId).query(getCustomerQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
  }

  /** Notes and preferences the business keeps about a customer. */
  async update(customerId: string, patch: CustomerPatch, opts: RequestOptions = {}): Promise<CustomerLifecycleState> {
    const updateId = updateIdFor('customer', opts.requestId, patch);
    try {
      return await this.handle(customerId).executeUpdate(updateCustomerUpdate, {
        args: [patch],
        ...(updateId ? { updateId } : {}),
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      if (err instanceof WorkflowUpdateFailedError)
        throw new NotFoundError(`no customer "${customerId}" with an order yet`);
      throw err;
    }
  }

  /** The business records consent given or withdrawn (e.g. at the counter, by phone). */
  async setConsent(
    customerId: string,
    consent: Consent,
    opts: RequestOptions = {},
  ): Promise<Pick<CustomerLifecycleState, 'customerId' | 'consent'>> {
    const at = this.now().toISOString();
    const event: CustomerEvent = {
      type: consent.granted ? 'opt-in' : 'opt-out',
      channel: consent.channel,
      scope: consent.purpose === 'marketing' ? 'marketing' : 'all',
      source: consent.source ?? 'api',
      // Ids from callers get their own namespace: they can never pre-empt a provider's event id.
      // The request's own key makes a retry the same event, which the lifecycle applies once (across runs too).
      eventId: consent.eventId
        ? `api:${consent.eventId}`
        : (updateIdFor('consent', opts.requestId, consent) ??
          `api-${customerId}-${at}-${consent.purpose}-${consent.channel}-${consent.granted}`),
      at,
    };
    try {
      // An update: answered once the customer's running journeys have the change (they decide their own
      // transactional messages), so the business's next call finds it applied everywhere.
      return await this.handle(customerId).executeUpdate(applyCustomerEventUpdate, {
        args: [event],
        updateId: boundedUpdateId('consent', event.eventId),
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      // A lifecycle on code from before the update (mid-deploy): the signal, as before.
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    }
    await this.recordCustomerEvent(customerId, event);
    return this.get(customerId);
  }

  /** Finds the customers whose lifecycles carry these contact keys (webhooks name contacts, not customers). */
  async findCustomersByContactKeys(keys: string[]): Promise<string[]> {
    const safe = [...new Set(keys.map((k) => k.replace(/[^A-Za-z0-9_-]/g, '')).filter(Boolean))];
    if (safe.length === 0) return [];
    const query = withinTenant(
      `${CUSTOMER_SA.contactKeys.name} IN (${safe.map((k) => `"${k}"`).join(', ')}) AND WorkflowType = "${CUSTOMER_LIFECYCLE}" AND ExecutionStatus = "Running"`,
      this.tenant,
      this.othersShare,
    );
    const found = new Set<string>();
    for await (const wf of this.client.workflow.list({ query, pageSize: 100 })) {
      const id = wf.typedSearchAttributes.get(CUSTOMER_SA.customerId);
      if (id) found.add(id);
    }
    return [...found];
  }

  /** Hands a consent or delivery event to the customer's lifecycle; replayed event ids change nothing. */
  async recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
    try {
      await this.handle(customerId).signal(customerEventSignal, event);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer "${customerId}"`);
      throw err;
    }
  }
}

/** The customer as the API shows them (see CustomerView): the lifecycle's bookkeeping and addresses stay inside. */
export function toCustomerView(state: CustomerLifecycleState): CustomerView {
  const { customerId, profile, orders, firstSeenAt, lastOrderAt, notes, loyalty, value, feedback } = state;
  return {
    customerId,
    profile,
    // The order's keys, tags and linked chat are the lifecycle's bookkeeping.
    orders: orders.map(({ orderId, placedAt, currency, totalMinor, status, completedAt }) => ({
      orderId,
      placedAt,
      currency,
      totalMinor,
      status,
      ...(completedAt ? { completedAt } : {}),
    })),
    consent: toConsentView(state.consent),
    ...(firstSeenAt ? { firstSeenAt } : {}),
    ...(lastOrderAt ? { lastOrderAt } : {}),
    ...(notes !== undefined ? { notes } : {}),
    ...(loyalty ? { loyalty } : {}),
    ...(value ? { value } : {}),
    ...(feedback ? { feedback } : {}),
    ...(state.offersIssued ? { offersIssued: state.offersIssued } : {}),
    ...(state.winback ? { winback: state.winback } : {}),
    ...(state.messages ? { messages: state.messages } : {}),
    ...(state.conversation ? { conversation: state.conversation } : {}),
    ...(state.questionnaire ? { questionnaire: questionnaireView(state.questionnaire) } : {}),
  };
}

/** The questionnaire as the profile shows it: the lifecycle's bookkeeping (answer ids) stays inside. */
function questionnaireView({ eventIds: _ids, ...shown }: NonNullable<CustomerLifecycleState['questionnaire']>) {
  return shown;
}

export function toConsentView(consent: CustomerLifecycleState['consent']): ConsentView {
  const { granted, source, at } = consent.marketing;
  return {
    marketing: { granted, ...(source ? { source } : {}), ...(at ? { at } : {}) },
    ...(consent.stopped ? { stopped: consent.stopped } : {}),
    ...(consent.marketingPaused ? { marketingPaused: consent.marketingPaused } : {}),
    ...(consent.preferences ? { preferences: consent.preferences } : {}),
    channels: Object.fromEntries(
      Object.entries(consent.channels).map(([channel, c]) => [
        channel,
        {
          ...(c?.blocked ? { blocked: markView(c.blocked) } : {}),
          ...(c?.marketingSuppressed ? { marketingSuppressed: markView(c.marketingSuppressed) } : {}),
          ...(c?.lastProblem ? { lastProblem: markView(c.lastProblem) } : {}),
        },
      ]),
    ),
  };
}

/** A mark without the key of the address it came from (a keyed hash of the contact, not for callers). */
const markView = ({ reason, source, at }: ConsentMark) => ({ reason, source, at });

/**
 * The customers behind a provider's inbound event (a STOP, a bounce), in every tenant: a provider's number or
 * address may serve several tenants, and a customer who says STOP to it must hear nothing more from it. Its
 * references are lifecycle workflow ids, which carry the tenant, so the event reaches exactly those lifecycles.
 */
export class InboundCustomerSink implements CustomerEventSink {
  constructor(
    private readonly client: Client,
    /** Only this tenant's customers (a tenant's own provider account); undefined: every tenant's. */
    private readonly tenant?: string,
  ) {}

  async findCustomersByContactKeys(keys: string[]): Promise<string[]> {
    const safe = [...new Set(keys.map((k) => k.replace(/[^A-Za-z0-9_-]/g, '')).filter(Boolean))];
    if (safe.length === 0) return [];
    const query = `${CUSTOMER_SA.contactKeys.name} IN (${safe.map((k) => `"${k}"`).join(', ')}) AND WorkflowType = "${CUSTOMER_LIFECYCLE}" AND ExecutionStatus = "Running"${this.tenant ? ` AND ${tenantClause(this.tenant)}` : ''}`;
    const found = new Set<string>();
    for await (const wf of this.client.workflow.list({ query, pageSize: 100 })) found.add(wf.workflowId);
    return [...found];
  }

  /** `lifecycleId` is one that findCustomersByContactKeys returned, or customerLifecycleId(customerId, tenant). */
  async recordCustomerEvent(lifecycleId: string, event: CustomerEvent): Promise<void> {
    try {
      await this.client.workflow.getHandle(lifecycleId).signal(customerEventSignal, event);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no customer lifecycle "${lifecycleId}"`);
      throw err;
    }
  }
}
