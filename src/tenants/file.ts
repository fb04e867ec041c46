/**
 * The tenants file (AFTERCARE_TENANTS): the businesses one deployment serves besides the default one, which keeps
 * its settings in the environment as before. Each has its own API key, playbook (with its brand), email sender and,
 * optionally, its own provider accounts and shop secrets. Secrets are given as "env:NAME", read from the
 * environment here, so the file itself can be committed or mounted without them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { formatZodIssues } from '../lib/validation';
import { DEFAULT_TENANT, TENANT_ID } from '../workflows/tenant';

type Env = Record<string, string | undefined>;

/** A value, or "env:NAME" for the environment's NAME (which must then be set). */
const secretIn = (env: Env) =>
  z
    .string()
    .min(1)
    .transform((value, ctx) => {
      if (!value.startsWith('env:')) return value;
      const name = value.slice(4);
      const resolved = env[name]?.trim();
      if (!resolved) {
        ctx.addIssue({ code: 'custom', message: `refers to ${name}, which is not set` });
        return z.NEVER;
      }
      return resolved;
    });

const tenantSchema = (env: Env, dir: string) => {
  const secret = secretIn(env);
  return z.strictObject({
    /** The tenant's bearer key for /v1: it decides which tenant a request is for. */
    apiKey: secret.pipe(z.string().min(16, 'must be at least 16 characters')),
    /** Its playbook (messages, stages, brand, channels); relative to the tenants file. Default: the default's. */
    playbook: z
      .string()
      .min(1)
      .transform((p) => path.resolve(dir, p))
      .optional(),
    email: z
      .strictObject({
        /** Its sender, e.g. "Outlet <orders@outlet.example>". */
        from: z
          .string()
          .regex(
            /^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/,
            'an address, e.g. "Outlet <orders@outlet.example>"',
          ),
        /** Its own Resend account; without one, the default account sends with this sender. */
        resendApiKey: secret.optional(),
        /** Its Resend account's webhook signing secret (whsec_…): POST /webhooks/resend/<tenant>. */
        webhookSecret: secret.optional(),
      })
      .optional(),
    sms: z
      .strictObject({
        twilio: z
          .strictObject({
            accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'a Twilio Account SID (AC + 32 hex digits)'),
            authToken: secret,
            from: z.string().optional(),
            messagingServiceSid: z.string().optional(),
          })
          .refine((t) => t.from || t.messagingServiceSid, 'give from or messagingServiceSid'),
      })
      .optional(),
    shopify: z.strictObject({ webhookSecret: secret }).optional(),
    /** Its WooCommerce store: the webhooks' secret (POST /webhooks/woocommerce/<tenant>) and REST access. */
    woocommerce: z
      .strictObject({
        webhookSecret: secret.optional(),
        url: z.url().optional(),
        consumerKey: secret.optional(),
        consumerSecret: secret.optional(),
      })
      .refine((w) => !!w.url === !!w.consumerKey && !!w.url === !!w.consumerSecret, {
        message: 'give url, consumerKey and consumerSecret together (the reconciliation reads the store with them)',
      })
      .optional(),
  });
};

const fileSchema = (env: Env, dir: string) =>
  z.strictObject({
    tenants: z.record(z.string(), tenantSchema(env, dir)).superRefine((tenants, ctx) => {
      const ids = Object.keys(tenants);
      if (ids.length === 0) ctx.addIssue({ code: 'custom', message: 'list at least one tenant' });
      for (const id of ids) {
        const problem = !TENANT_ID.test(id)
          ? 'tenant ids are lower-case letters, digits, "-" and "_" (at most 40)'
          : id === DEFAULT_TENANT
            ? `"${DEFAULT_TENANT}" is the environment's tenant; pick another id`
            : undefined;
        if (problem) ctx.addIssue({ code: 'custom', path: [id], message: problem });
      }
    }),
  });

export type TenantSettings = z.output<ReturnType<typeof tenantSchema>> & { id: string };

/** Reads and checks the tenants file; problems name the tenant and field, or say what is wrong with the file. */
export function readTenantsFile(file: string, env: Env): { tenants: TenantSettings[] } | { problems: string[] } {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { problems: [`${file}: ${(err as Error).message}`] };
  }
  const parsed = fileSchema(env, path.dirname(file)).safeParse(raw);
  if (!parsed.success) return { problems: formatZodIssues(parsed.error).map((p) => `${file}: ${p}`) };
  const tenants = Object.entries(parsed.data.tenants).map(([id, t]) => ({ id, ...t }));
  const problems: string[] = [];
  const keys = new Set<string>();
  const shopSecrets = new Map<string, string>();
  for (const t of tenants) {
    if (keys.has(t.apiKey)) problems.push(`${file}: tenants.${t.id}.apiKey: another tenant has this key`);
    keys.add(t.apiKey);
    // One shop secret per tenant: a delivery signed for one tenant's URL must not verify at another's.
    for (const [field, secret] of [
      ['shopify.webhookSecret', t.shopify?.webhookSecret],
      ['woocommerce.webhookSecret', t.woocommerce?.webhookSecret],
    ] as const) {
      if (!secret) continue;
      const other = shopSecrets.get(secret);
      if (other && other !== t.id) problems.push(`${file}: tenants.${t.id}.${field}: tenant ${other} has this secret`);
      shopSecrets.set(secret, t.id);
    }
  }
  return problems.length > 0 ? { problems } : { tenants };
}
