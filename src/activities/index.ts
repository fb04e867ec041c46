/**
 * The activities, from one factory that receives every dependency (createActivities(deps)); workflows
 * import them as types only. Delivery: links, render, compose, adapter (./delivery). The customer's
 * lifecycle: orders, events and permits (./customer). Counts (./stats). What operators are told (./operations).
 */
import type { Client } from '@temporalio/client';
import { customerActivities } from './customer';
import { sendMessageActivity, type SendDeps } from './delivery/send-message';
import { operationsActivities } from './operations';
import { statsActivities } from './stats';
import { wooCommerceActivities, type WooCommerceActivityDeps } from './woocommerce';

export interface ActivityDeps extends SendDeps {
  client: Client;
  taskQueue: string;
  /** The WooCommerce stores this worker reconciles (absent: none). */
  woocommerce?: WooCommerceActivityDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    sendMessage: sendMessageActivity(deps),
    ...customerActivities(deps),
    ...statsActivities(deps),
    ...operationsActivities(deps),
    ...wooCommerceActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
