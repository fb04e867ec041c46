/**
 * Several businesses behind one API: each tenant's /v1 routes are the same routes, registered once more for it
 * with a router constraint, so a request reaches the copy of the tenant whose API key it carries. A key no tenant
 * has reaches the default tenant's routes, whose key check answers 401 as before; the default tenant is a
 * single-tenant deployment exactly as it was. Operators (one key for the deployment) name the tenant with the
 * X-Aftercare-Tenant header on the operator routes.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions, RouteOptions } from 'fastify';
import type { AftercareClient } from '../client';
import { safeEqualText } from '../lib/crypto';
import { TENANT_ID } from '../workflows/tenant';

export interface TenantApi {
  client: AftercareClient;
  /** Its bearer key for /v1 (AFTERCARE_TENANTS). */
  apiKey: string;
}

export const TENANT_HEADER = 'x-aftercare-tenant';
const CONSTRAINT = 'aftercareTenant';
/** The operator routes (src/api/routes/actions.ts), where the operators' key names a tenant with the header. */
const OPERATOR_PATH = /^\/v1\/(orders\/[^/?]+\/actions\/|operations\/)/;

/** Adds the router constraint: the tenant whose key the request carries, else the one an operator names. */
export function addTenantConstraint(app: FastifyInstance, tenants: readonly TenantApi[]): void {
  const ids = new Set(tenants.map((t) => t.client.tenant));
  app.addConstraintStrategy({
    name: CONSTRAINT,
    // Routes without the constraint (the default tenant's) still match a request from which one is derived.
    mustMatchWhenDerived: false,
    storage() {
      const handlers = new Map<string, unknown>();
      return {
        get: (tenant: string) => (handlers.get(tenant) ?? null) as never,
        set: (tenant: string, handler: unknown) => void handlers.set(tenant, handler),
      };
    },
    deriveConstraint(req) {
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7) : '';
      // Every key is compared (through hashes), so timing says nothing about which tenant, if any, matched.
      let found: string | undefined;
      for (const t of tenants) if (safeEqualText(token, t.apiKey)) found = t.client.tenant;
      if (found) return found;
      // The header counts on operator routes only: a business's request is its key's tenant's, whatever it says.
      if (!OPERATOR_PATH.test(req.url ?? '')) return undefined as never;
      const named = req.headers[TENANT_HEADER];
      return typeof named === 'string' && TENANT_ID.test(named) && ids.has(named) ? named : (undefined as never);
    },
  });
}

/**
 * Registers `routes` for one tenant under `prefix`, constrained to it and hidden from /docs (the default tenant's
 * copy documents them).
 */
export async function registerForTenant<O extends FastifyPluginOptions>(
  app: FastifyInstance,
  tenant: string,
  routes: FastifyPluginAsync<O>,
  opts: O & { prefix: string },
): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addHook('onRoute', (route: RouteOptions) => {
      route.constraints = { ...route.constraints, [CONSTRAINT]: tenant };
      route.schema = { ...route.schema, hide: true } as RouteOptions['schema'];
    });
    await scoped.register(routes, opts);
  });
}
