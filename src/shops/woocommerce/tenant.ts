/**
 * One WooCommerce store's settings, per tenant, in one small object: the environment fills the default tenant's
 * (and other tenants' webhook secrets), and a tenants file can fill the same shape.
 */
import { namedValues } from '../../lib/pairs';
import type { WooCommerceRestAccess } from './rest';

export interface WooCommerceTenant {
  /** The webhooks' secret: enables POST /webhooks/woocommerce/<tenant>. */
  webhookSecret?: string;
  /** The store's REST API with a read key: enables the reconciliation. */
  rest?: WooCommerceRestAccess;
}

export type WooCommerceTenants = Record<string, WooCommerceTenant>;

/** How often the reconciliation reads the store when WOOCOMMERCE_RECONCILE_EVERY says nothing. */
export const DEFAULT_RECONCILE_EVERY_MS = 5 * 60_000;

/**
 * WOOCOMMERCE_URL, _CONSUMER_KEY, _CONSUMER_SECRET and _WEBHOOK_SECRET are the "default" tenant's;
 * WOOCOMMERCE_WEBHOOK_SECRETS ("tenant=secret,…") adds other tenants' webhooks. Checked by src/config first.
 */
export function wooCommerceTenantsFromEnv(e: {
  url?: string | undefined;
  consumerKey?: string | undefined;
  consumerSecret?: string | undefined;
  webhookSecret?: string | undefined;
  webhookSecrets?: string | undefined;
}): WooCommerceTenants {
  const tenants: WooCommerceTenants = {};
  for (const [tenant, webhookSecret] of Object.entries(namedValues(e.webhookSecrets)))
    tenants[tenant] = { webhookSecret };
  const own: WooCommerceTenant = { ...tenants.default };
  if (e.webhookSecret) own.webhookSecret = e.webhookSecret;
  if (e.url && e.consumerKey && e.consumerSecret) {
    own.rest = { storeUrl: e.url.replace(/\/+$/, ''), consumerKey: e.consumerKey, consumerSecret: e.consumerSecret };
  }
  if (own.webhookSecret || own.rest) tenants.default = own;
  return tenants;
}

/** The webhook secrets per tenant: the route exists for these. */
export const webhookSecretsOf = (tenants: WooCommerceTenants): Record<string, string> =>
  Object.fromEntries(
    Object.entries(tenants).flatMap(([tenant, t]) => (t.webhookSecret ? [[tenant, t.webhookSecret]] : [])),
  );

/** The tenants with REST access: one reconciliation schedule each. */
export const restTenantsOf = (tenants: WooCommerceTenants): Record<string, WooCommerceRestAccess> =>
  Object.fromEntries(Object.entries(tenants).flatMap(([tenant, t]) => (t.rest ? [[tenant, t.rest]] : [])));
