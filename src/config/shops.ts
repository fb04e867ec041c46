import { z } from 'zod';
import { namedValues } from '../lib/pairs';
import { parseDuration } from '../playbook/duration';
import { optionalString } from './fields';

/** "tenant=secret,…": one webhook secret per tenant (POST /webhooks/<shop>/<tenant>). */
const tenantSecretList = optionalString.pipe(
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+(,[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+)*$/,
      'use tenant=secret pairs, e.g. "default=abc,outlet=def" (tenants lower-case letters, digits, "-", "_")',
    )
    .optional(),
);

/** The shops whose events start journeys (Shopify, WooCommerce) and the tenants (businesses) they belong to. */
export const shopsEnv = {
  /** A YAML or JSON file of more tenants (businesses), each with its own API key and playbook: docs/tenants.md. */
  AFTERCARE_TENANTS: optionalString,

  /** The Shopify app's client secret: enables POST /webhooks/shopify/default. */
  SHOPIFY_WEBHOOK_SECRET: optionalString,
  /** More shops, one secret each: "tenant=secret,…" (POST /webhooks/shopify/<tenant>). */
  SHOPIFY_WEBHOOK_SECRETS: tenantSecretList,

  /** The WooCommerce store (WordPress's home URL) and a REST key with read access: enables the reconciliation. */
  WOOCOMMERCE_URL: optionalString.pipe(z.url().optional()),
  WOOCOMMERCE_CONSUMER_KEY: optionalString,
  WOOCOMMERCE_CONSUMER_SECRET: optionalString,
  /** The secret of the store's webhooks: enables POST /webhooks/woocommerce/default. */
  WOOCOMMERCE_WEBHOOK_SECRET: optionalString,
  /** More stores' webhooks, one secret each: "tenant=secret,…" (POST /webhooks/woocommerce/<tenant>). */
  WOOCOMMERCE_WEBHOOK_SECRETS: tenantSecretList,
  /** How often the reconciliation reads the store for orders whose webhook was missed ("5m"). */
  WOOCOMMERCE_RECONCILE_EVERY: optionalString.pipe(
    z
      .string()
      .refine((v) => (parseDuration(v) ?? 0) >= 10_000, 'use a duration of at least 10s, e.g. "5m"')
      .optional(),
  ),
};

/** SHOPIFY_WEBHOOK_SECRET is the "default" tenant's; SHOPIFY_WEBHOOK_SECRETS adds more ("tenant=secret,…"). */
export function shopifySecrets(single: string | undefined, list: string | undefined): Record<string, string> {
  const secrets = namedValues(list);
  if (single) secrets.default = single;
  return secrets;
}
