/**
 * The tenants file as configuration sees it: read and checked (src/tenants/file.ts), then checked against the
 * environment it sits in (the default tenant's keys, the deployment's secrets, the shops' secret lists).
 * src/config calls it while it parses the environment; nothing else reads the file.
 */
import path from 'node:path';
import { namedValues } from '../lib/pairs';
import { readTenantsFile, type TenantSettings } from './file';

/** The deployment's own secrets: no tenant's API key may be one of them. */
const DEPLOYMENT_SECRETS = [
  'AFTERCARE_SECRET',
  'AFTERCARE_ENCRYPTION_KEYS',
  'RESEND_API_KEY',
  'RESEND_WEBHOOK_SECRET',
  'TWILIO_AUTH_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'WHATSAPP_TOKEN',
  'WHATSAPP_APP_SECRET',
  'SHOPIFY_WEBHOOK_SECRET',
  'WOOCOMMERCE_CONSUMER_SECRET',
  'WOOCOMMERCE_WEBHOOK_SECRET',
] as const;

/** The tenants file's tenants, with what spans it and the environment checked (keys, Shopify secrets). */
export function tenantsOf(
  e: {
    AFTERCARE_TENANTS?: string | undefined;
    AFTERCARE_API_KEY?: string | undefined;
    AFTERCARE_OPERATOR_KEY?: string | undefined;
  } & Record<string, unknown>,
  ctx: { addIssue: (issue: { code: 'custom'; path: string[]; message: string }) => void },
): TenantSettings[] {
  if (!e.AFTERCARE_TENANTS) return [];
  const env = Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const read = readTenantsFile(path.resolve(e.AFTERCARE_TENANTS), env);
  const problems = 'problems' in read ? [...read.problems] : [];
  const tenants = 'tenants' in read ? read.tenants : [];
  const listed = namedValues(e.SHOPIFY_WEBHOOK_SECRETS as string | undefined);
  for (const t of tenants) {
    if (t.apiKey === e.AFTERCARE_API_KEY || t.apiKey === e.AFTERCARE_OPERATOR_KEY) {
      problems.push(`tenants.${t.id}.apiKey: is AFTERCARE_API_KEY or AFTERCARE_OPERATOR_KEY; give each its own`);
    }
    // A key that is also a secret (a slip of env:) would hand the tenant that secret.
    const clash = DEPLOYMENT_SECRETS.find((k) => e[k] === t.apiKey);
    if (clash) problems.push(`tenants.${t.id}.apiKey: is the value of ${clash}; an API key must be its own`);
    const wooListed = e.WOOCOMMERCE_WEBHOOK_SECRETS as string | undefined;
    const wooOwn = namedValues(wooListed)[t.id];
    if (t.woocommerce?.webhookSecret && wooOwn && wooOwn !== t.woocommerce.webhookSecret) {
      problems.push(`tenants.${t.id}.woocommerce: differs from its WOOCOMMERCE_WEBHOOK_SECRETS entry: set one of them`);
    }
    if (t.shopify && listed[t.id] && listed[t.id] !== t.shopify.webhookSecret) {
      problems.push(`tenants.${t.id}.shopify: differs from its SHOPIFY_WEBHOOK_SECRETS entry: set one of them`);
    }
  }
  for (const message of problems) ctx.addIssue({ code: 'custom', path: ['AFTERCARE_TENANTS'], message });
  return tenants;
}
