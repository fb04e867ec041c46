/**
 * Tenants (several businesses in one deployment) as workflow ids carry them. The default tenant's ids are the
 * ids Aftercare always had ("order-1001", "customer-42"), so a single-tenant deployment and its running journeys
 * are untouched; another tenant's ids start with "t:<tenant>:", which no default id can (those start with "order-",
 * "customer-" or "aftercare-"). A workflow finds its tenant in its own id, so journeys, lifecycles and their
 * activities need no extra input to reach each other within one tenant. Deterministic: no I/O.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TENANT = 'default';

/** A tenant's id: lower-case letters, digits, "-" and "_", at most 40 (also how Shopify's URLs name tenants). */
export const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

const PREFIXED = /^t:([a-z0-9][a-z0-9_-]{0,39}):/;

/** What the tenant's workflow ids start with: nothing for the default tenant. */
export const tenantPrefix = (tenant: string | undefined): string =>
  !tenant || tenant === DEFAULT_TENANT ? '' : `t:${tenant}:`;

/** The tenant a workflow id belongs to (a workflow's own id, or the one an activity runs for). */
export function tenantOfWorkflowId(workflowId: string): string {
  return PREFIXED.exec(workflowId)?.[1] ?? DEFAULT_TENANT;
}

/**
 * Set at start on every workflow of a tenant other than the default one (free: part of the start, not an upsert),
 * so visibility queries are scoped by tenant; the default tenant's workflows have none (queries say IS NULL).
 */
export const TENANT_SA = {
  tenant: defineSearchAttributeKey('AftercareTenant', SearchAttributeType.KEYWORD),
} as const;

/** The search attribute a tenant's workflows start with: none for the default tenant. */
export const tenantSearchAttributes = (tenant: string | undefined) =>
  tenantPrefix(tenant) ? [{ key: TENANT_SA.tenant, value: tenant! }] : [];

/** A visibility-query clause that keeps to one tenant's workflows. */
export const tenantClause = (tenant: string | undefined): string =>
  tenantPrefix(tenant) ? `${TENANT_SA.tenant.name} = "${tenant!}"` : `${TENANT_SA.tenant.name} IS NULL`;

/**
 * `query` kept to the tenant's workflows where other tenants share the namespace; a single-tenant deployment's
 * queries stay as they were (they then work where AftercareTenant was never registered, e.g. by hand on Cloud).
 */
export const withinTenant = (query: string, tenant: string | undefined, othersShare: boolean): string =>
  tenantPrefix(tenant) || othersShare ? `(${query}) AND ${tenantClause(tenant)}` : query;

/**
 * Per-tenant fairness: a tenant's tasks carry its id as their fairness key, so on a queue with fairness on
 * (`matching.enableFairness`, server ≥ 1.29) one tenant's backlog (a burst of win-backs) cannot starve another's,
 * within each priority. The default tenant's tasks keep no key, so a single-tenant deployment is as before.
 */
export const fairnessKeyOf = (tenant: string | undefined): { fairnessKey?: string } =>
  tenantPrefix(tenant) ? { fairnessKey: tenant! } : {};

/** Start options that put a tenant's workflow tasks under its fairness key. */
export const fairFor = (tenant: string | undefined) =>
  tenantPrefix(tenant) ? { priority: { fairnessKey: tenant! } } : {};
