import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { ValidationError } from './errors';
import { CustomerGateway, type CustomerEventSink } from './gateway/customers';
import { ErasureGateway, type ErasureResult, type MessageStore } from './gateway/erasure';
import type { RequestOptions } from './gateway/idempotency';
import { OperationsGateway } from './gateway/operations';
import { OrderGateway, type StartResult } from './gateway/orders';
import { PreferencesGateway } from './gateway/preferences';
import { QuestionnaireGateway } from './gateway/questionnaire';
import { StatsGateway } from './gateway/stats';
import type { Keys } from './lib/keys';
import { formatPath } from './lib/validation';
import type { Playbook } from './playbook/schema';
import { businessKey } from './schemas/common';
import { consentInputSchema, customerPatchSchema, type ConsentInput } from './schemas/customers';
import {
  feedbackInputSchema,
  orderInputSchema,
  stageUpdateSchema,
  type OrderInput,
  type StageUpdateInput,
} from './schemas/orders';
import type { StatsView } from './schemas/views';
import type { CustomerEvent, CustomerLifecycleState } from './workflows/customer/contract';
import type { FeedbackInput, Order, OrderJourneyState, StageUpdateResult } from './workflows/order/contract';
import { DEFAULT_TASK_QUEUE } from './workflows/task-queue';
import { DEFAULT_TENANT } from './workflows/tenant';

export type { ErasureResult, RequestOptions, StartResult, StatsView };

export interface AftercareClientOptions {
  /** Made with `dataConverter: dataConverterFor(keys.payloads)`, or journeys start in plain text and read as ciphertext. */
  client: Client;
  /** The playbook new journeys run by (frozen into each journey at start). */
  playbook: Playbook;
  taskQueue?: string;
  now?: () => Date;
  /** The dev outbox, when messages land there: an erasure removes the customer's messages from it too. */
  outbox?: MessageStore;
  /** The contact-key subkey: a new order's addresses are keyed before its journey starts (resolveKeys). */
  keys: Pick<Keys, 'contacts'>;
  /** The client's connection is a worker's NativeConnection in this process: journeys start eagerly. */
  eagerStart?: boolean;
  /**
   * The tenant (business) this client acts for: its ids, its visibility and its counts (docs/tenants.md).
   * Undefined: the default tenant, with the ids a single-tenant deployment always had.
   */
  tenant?: string;
  /**
   * Other tenants share the namespace (AFTERCARE_TENANTS is set): the default tenant's look-ups by customer then keep
   * to its own workflows. Without tenants they stay as they always were.
   */
  otherTenants?: boolean;
}

/**
 * The typed way into Aftercare for a business's own TypeScript code. Each method validates its
 * input with the same schemas the HTTP API uses (a bad value is a ValidationError naming the field),
 * then calls the gateway. The HTTP routes validate at their own edge and call the gateways directly
 * (`orders`, `customers`, `stats`), so nothing is validated twice. Every method is async: a bad
 * input is a rejected promise, like any other failure.
 */
export class AftercareClient implements CustomerEventSink {
  readonly orders: OrderGateway;
  readonly customers: CustomerGateway;
  readonly stats: StatsGateway;
  readonly erasure: ErasureGateway;
  /** Operators' actions on journeys, and the stuck ones (`npm run ops`, /v1/orders/{id}/actions). */
  readonly operations: OperationsGateway;
  /** The customer's own preferences page: what it shows and what it saves. */
  readonly preferences: PreferencesGateway;
  /** The questionnaire for regulars on the customer's page: its questions and their answers. */
  readonly questionnaire: QuestionnaireGateway;
  /** The tenant it acts for ("default" unless given). */
  readonly tenant: string;
  /** The playbook its new journeys run by. */
  readonly playbook: Playbook;

  constructor(opts: AftercareClientOptions) {
    const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
    const now = opts.now ?? (() => new Date());
    // Gateways take the tenant only when it is not the default one (whose ids, keys and links have none).
    const tenant = opts.tenant === DEFAULT_TENANT ? undefined : opts.tenant;
    this.tenant = tenant ?? DEFAULT_TENANT;
    this.playbook = opts.playbook;
    this.orders = new OrderGateway(opts.client, opts.playbook, taskQueue, now, opts.keys, opts.eagerStart, tenant);
    this.customers = new CustomerGateway(opts.client, now, tenant, opts.otherTenants === true);
    this.stats = new StatsGateway(opts.client, taskQueue, tenant);
    this.erasure = new ErasureGateway(opts.client, opts.outbox, tenant, opts.otherTenants === true);
    this.operations = new OperationsGateway(opts.client, now, tenant);
    this.preferences = new PreferencesGateway(opts.client, tenant);
    this.questionnaire = new QuestionnaireGateway(opts.client, tenant);
  }

  /** Starts the order's journey, or returns the existing one for a repeated request. */
  async startOrderJourney(input: OrderInput | unknown): Promise<StartResult> {
    return this.orders.start(parse(orderInputSchema, input));
  }

  /** Starts the journey of an order already validated (and converted to minor units). */
  async startValidatedOrder(order: Order): Promise<StartResult> {
    return this.orders.start(order);
  }

  /** Moves an order to a later stage, or sends a delay/problem notice (stage "delayed" / "problem"). */
  async advanceStage(
    orderId: string,
    update: StageUpdateInput | unknown,
    opts: RequestOptions = {},
  ): Promise<StageUpdateResult> {
    return this.orders.advanceStage(orderId, parse(stageUpdateSchema, update), opts);
  }

  /** Records the customer's satisfaction answer collected by the business itself. */
  async submitFeedback(
    orderId: string,
    input: FeedbackInput | unknown,
    opts: RequestOptions = {},
  ): Promise<{ accepted: true; replaced: boolean }> {
    return this.orders.submitFeedback(orderId, parse(feedbackInputSchema, input), opts);
  }

  async getOrderJourney(orderId: string): Promise<OrderJourneyState> {
    return this.orders.get(orderId);
  }

  async getCustomer(customerId: string): Promise<CustomerLifecycleState> {
    return this.customers.get(customerId);
  }

  /** Notes and preferences the business keeps about a customer. */
  async updateCustomer(customerId: string, input: unknown, opts: RequestOptions = {}): Promise<CustomerLifecycleState> {
    return this.customers.update(customerId, parse(customerPatchSchema, input), opts);
  }

  /** Consent given or withdrawn (marketing, or every message on a channel). */
  async setConsent(
    customerId: string,
    input: ConsentInput | unknown,
    opts: RequestOptions = {},
  ): Promise<Pick<CustomerLifecycleState, 'customerId' | 'consent'>> {
    return this.customers.setConsent(customerId, parse(consentInputSchema, input), opts);
  }

  /**
   * Erases the customer (GDPR art. 17): their journeys and lifecycle stop and are deleted from Temporal, their
   * outbox messages go, anonymous counts stay. Idempotent: a second call removes nothing and says so.
   */
  async eraseCustomer(customerId: string): Promise<ErasureResult> {
    return this.erasure.erase(parse(businessKey, customerId));
  }

  async getStats(): Promise<StatsView> {
    return this.stats.get();
  }

  async findCustomersByContactKeys(keys: string[]): Promise<string[]> {
    return this.customers.findCustomersByContactKeys(keys);
  }

  async recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void> {
    return this.customers.recordCustomerEvent(customerId, event);
  }
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(
      'the request does not match the contract',
      result.error.issues.map((i) => ({ path: formatPath(i.path) || '(body)', message: i.message })),
    );
  }
  return result.data;
}
