import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import { ValidationError } from './errors';
import { CustomerGateway, type CustomerEventSink } from './gateway/customers';
import { OrderGateway, type StartResult } from './gateway/orders';
import { StatsGateway } from './gateway/stats';
import { formatPath } from './lib/validation';
import type { Playbook } from './playbook/schema';
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

export type { StartResult, StatsView };

export interface AftercareClientOptions {
  client: Client;
  /** The playbook new journeys run by (frozen into each journey at start). */
  playbook: Playbook;
  taskQueue?: string;
  now?: () => Date;
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

  constructor(opts: AftercareClientOptions) {
    const taskQueue = opts.taskQueue ?? DEFAULT_TASK_QUEUE;
    const now = opts.now ?? (() => new Date());
    this.orders = new OrderGateway(opts.client, opts.playbook, taskQueue, now);
    this.customers = new CustomerGateway(opts.client, now);
    this.stats = new StatsGateway(opts.client, taskQueue);
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
  async advanceStage(orderId: string, update: StageUpdateInput | unknown): Promise<StageUpdateResult> {
    return this.orders.advanceStage(orderId, parse(stageUpdateSchema, update));
  }

  /** Records the customer's satisfaction answer collected by the business itself. */
  async submitFeedback(
    orderId: string,
    input: FeedbackInput | unknown,
  ): Promise<{ accepted: true; replaced: boolean }> {
    return this.orders.submitFeedback(orderId, parse(feedbackInputSchema, input));
  }

  async getOrderJourney(orderId: string): Promise<OrderJourneyState> {
    return this.orders.get(orderId);
  }

  async getCustomer(customerId: string): Promise<CustomerLifecycleState> {
    return this.customers.get(customerId);
  }

  /** Notes and preferences the business keeps about a customer. */
  async updateCustomer(customerId: string, input: unknown): Promise<CustomerLifecycleState> {
    return this.customers.update(customerId, parse(customerPatchSchema, input));
  }

  /** Consent given or withdrawn (marketing, or every message on a channel). */
  async setConsent(customerId: string, input: ConsentInput | unknown): Promise<CustomerLifecycleState> {
    return this.customers.setConsent(customerId, parse(consentInputSchema, input));
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
