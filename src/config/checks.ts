import type { z } from 'zod';
import { parseKeyring } from '../lib/keys';
import { wooCommerceTenantsFromEnv } from '../shops/woocommerce/tenant';
import type { Env } from './env';
import { shopifySecrets } from './shops';

/**
 * The checks that span several variables (one variable's own format is checked by its field in the area files).
 * Every problem is reported, each naming its variable(s), in this order.
 */
export function checkAcrossVariables(e: Env, ctx: z.RefinementCtx<Env>): void {
  const problem = (variable: string, message: string) => ctx.addIssue({ code: 'custom', path: [variable], message });
  if (e.RESEND_API_KEY && !e.EMAIL_FROM) {
    problem('EMAIL_FROM', 'required when RESEND_API_KEY is set (e.g. "Shop <orders@shop.example>")');
  }
  // Anything but development is held to production's rules: NODE_ENV=test on a server must not relax them.
  const strict = e.NODE_ENV !== 'development';
  const where = `when NODE_ENV=${e.NODE_ENV}`;
  if (strict && !e.AFTERCARE_API_KEY) problem('AFTERCARE_API_KEY', `required ${where}`);
  if (strict && !e.AFTERCARE_SECRET) {
    problem('AFTERCARE_SECRET', `required ${where} (links in messages, contact keys and encryption derive from it)`);
  }
  if (strict && !e.AFTERCARE_OPERATOR_KEY) {
    problem('AFTERCARE_OPERATOR_KEY', `required ${where} (the codec endpoint, /metrics and /docs ask for it)`);
  }
  if (strict && !e.AFTERCARE_PUBLIC_URL?.startsWith('https://')) {
    problem(
      'AFTERCARE_PUBLIC_URL',
      `an https URL is required ${where}: links in messages and Twilio's signatures use it`,
    );
  }
  if (strict && e.AFTERCARE_OUTBOX === 'auto') {
    problem(
      'AFTERCARE_OUTBOX',
      `"auto" is for development: ${where} a channel without credentials must fail, not "send" to a file`,
    );
  }
  if (strict) {
    for (const name of [
      'RESEND_BASE_URL',
      'TWILIO_API_BASE_URL',
      'TELEGRAM_API_ROOT',
      'WHATSAPP_API_BASE_URL',
    ] as const) {
      const url = e[name];
      if (url && !url.startsWith('https://'))
        problem(name, `must be https ${where}: it carries credentials and customers' contacts`);
    }
  }
  if (e.WHATSAPP_TOKEN && !(e.WHATSAPP_APP_SECRET && e.WHATSAPP_VERIFY_TOKEN)) {
    problem(
      'WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN',
      'required with WHATSAPP_TOKEN: without the webhook, opt-outs and the 24-hour window go unseen',
    );
  }
  if ((e.TWILIO_ACCOUNT_SID || e.TWILIO_AUTH_TOKEN) && !(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN)) {
    problem('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN', 'set both, or neither');
  }
  if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_FROM && !e.TWILIO_MESSAGING_SERVICE_SID) {
    problem('TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID', 'required with TWILIO_ACCOUNT_SID');
  }
  if (e.AFTERCARE_ENCRYPTION_KEYS) {
    try {
      parseKeyring(e.AFTERCARE_ENCRYPTION_KEYS);
    } catch (err) {
      problem('AFTERCARE_ENCRYPTION_KEYS', (err as Error).message);
    }
  }
  if (e.TELEGRAM_BOT_TOKEN && !e.TELEGRAM_WEBHOOK_SECRET) {
    problem('TELEGRAM_WEBHOOK_SECRET', 'required with TELEGRAM_BOT_TOKEN (the bot webhook checks it)');
  }
  if (e.AFTERCARE_BUILD_ID && !e.AFTERCARE_DEPLOYMENT_NAME) {
    problem(
      'AFTERCARE_DEPLOYMENT_NAME',
      'required with AFTERCARE_BUILD_ID (a build id names a version of a deployment)',
    );
  }
  const shopifyDefault = shopifySecrets(undefined, e.SHOPIFY_WEBHOOK_SECRETS).default;
  if (e.SHOPIFY_WEBHOOK_SECRET && shopifyDefault && shopifyDefault !== e.SHOPIFY_WEBHOOK_SECRET) {
    problem('SHOPIFY_WEBHOOK_SECRET', 'differs from the "default" entry of SHOPIFY_WEBHOOK_SECRETS: set one of them');
  }
  if ((e.WHATSAPP_TOKEN || e.WHATSAPP_PHONE_NUMBER_ID) && !(e.WHATSAPP_TOKEN && e.WHATSAPP_PHONE_NUMBER_ID)) {
    problem('WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID', 'set both, or neither');
  }
  const woo = [e.WOOCOMMERCE_URL, e.WOOCOMMERCE_CONSUMER_KEY, e.WOOCOMMERCE_CONSUMER_SECRET];
  if (woo.some(Boolean) && !woo.every(Boolean)) {
    problem(
      'WOOCOMMERCE_URL, WOOCOMMERCE_CONSUMER_KEY and WOOCOMMERCE_CONSUMER_SECRET',
      'set all three (the store and a REST key with read access), or none',
    );
  }
  if (strict && e.WOOCOMMERCE_URL && !e.WOOCOMMERCE_URL.startsWith('https://')) {
    problem('WOOCOMMERCE_URL', `must be https ${where}: the REST key goes with every request`);
  }
  const wooDefault = wooCommerceTenantsFromEnv({ webhookSecrets: e.WOOCOMMERCE_WEBHOOK_SECRETS }).default;
  if (e.WOOCOMMERCE_WEBHOOK_SECRET && wooDefault && wooDefault.webhookSecret !== e.WOOCOMMERCE_WEBHOOK_SECRET) {
    problem(
      'WOOCOMMERCE_WEBHOOK_SECRET',
      'differs from the "default" entry of WOOCOMMERCE_WEBHOOK_SECRETS: set one of them',
    );
  }
}
