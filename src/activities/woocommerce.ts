/**
 * The WooCommerce reconciliation's activity: reads one store's recently modified orders with its REST key (kept in
 * the worker's configuration, never in history) and feeds each to the webhook's own handler, through the same
 * gateway the API uses. Idempotent: a retry feeds the same orders, which change nothing twice.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { OrderGateway } from '../gateway/orders';
import type { Keys } from '../lib/keys';
import type { Playbook } from '../playbook/schema';
import { journeyLookup } from '../shops/woocommerce/journeys';
import { guestKeyWith } from '../shops/woocommerce/mapping';
import { reconcileOrders } from '../shops/woocommerce/reconcile';
import { WooCommerceRestClient, WooCommerceRestError, type WooCommerceRestAccess } from '../shops/woocommerce/rest';
import type { ReconcileRequest, ReconcileResult } from '../workflows/woocommerce/contract';

export interface WooCommerceActivityDeps {
  /** The stores this worker reconciles, by tenant. */
  tenants: Record<string, WooCommerceRestAccess>;
  /** The playbook journeys start with, and whose `woocommerce` section maps statuses. */
  playbook: Playbook;
  /** The tenants file's tenants' playbooks: their stores' orders start and move their own journeys. */
  tenantPlaybooks?: Record<string, Playbook>;
  /** Tests pass their own. */
  fetch?: typeof fetch;
}

export function wooCommerceActivities(deps: {
  client: Client;
  taskQueue: string;
  keys: Pick<Keys, 'contacts'>;
  woocommerce?: WooCommerceActivityDeps;
}) {
  return {
    async reconcileWooCommerce(req: ReconcileRequest): Promise<ReconcileResult> {
      const woo = deps.woocommerce;
      const access = woo && Object.hasOwn(woo.tenants, req.tenant) ? woo.tenants[req.tenant] : undefined;
      if (!woo || !access) {
        throw ApplicationFailure.nonRetryable(
          `this worker has no WooCommerce REST access for tenant "${req.tenant}" (WOOCOMMERCE_URL and its key)`,
          'NotConfigured',
        );
      }
      const log = Context.current().log;
      const rest = new WooCommerceRestClient(access, woo.fetch ? { fetch: woo.fetch } : {});
      // A tenant of the tenants file: its own playbook and ids. Others (a second shop of the default business, by
      // WOOCOMMERCE_WEBHOOK_SECRETS only) stay the default tenant's, their order ids prefixed with the shop.
      const own = woo.tenantPlaybooks && Object.hasOwn(woo.tenantPlaybooks, req.tenant) ? req.tenant : undefined;
      const playbook = own ? woo.tenantPlaybooks![own]! : woo.playbook;
      const orders = new OrderGateway(deps.client, playbook, deps.taskQueue, () => new Date(), deps.keys, false, own);
      try {
        const result = await reconcileOrders(
          rest,
          {
            orders,
            journeys: journeyLookup(deps.client, own),
            playbook,
            guestKey: guestKeyWith(deps.keys.contacts),
          },
          req,
          {
            // Ids, statuses and field names only (as the webhook route logs them).
            onInvalid: ({ orderId, detail }) =>
              log.warn('woocommerce order cannot start a journey', { tenant: req.tenant, orderId, detail }),
          },
        );
        const { seen: _seen, ...counts } = result;
        log.info('woocommerce reconciled', { tenant: req.tenant, ...counts });
        return result;
      } catch (err) {
        if (err instanceof WooCommerceRestError && !err.retryable) {
          throw ApplicationFailure.nonRetryable(err.message, 'WooCommerceRestError');
        }
        throw err;
      }
    },
  };
}
