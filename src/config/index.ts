/**
 * All configuration, parsed once at boot by one schema: the environment's variables (env.ts, by area: temporal.ts,
 * api.ts, channels.ts, shops.ts), checks that span several of them (checks.ts), and the shape the rest of the code
 * receives (`Config` is that schema's output). Nothing else in the codebase reads process.env.
 */
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { parseDuration } from '../playbook/duration';
import { DEFAULT_RECONCILE_EVERY_MS, wooCommerceTenantsFromEnv } from '../shops/woocommerce/tenant';
import { tenantsOf } from '../tenants/settings';
import { sendRates } from './channels';
import { checkAcrossVariables } from './checks';
import { envSchema } from './env';
import { shopifySecrets } from './shops';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** playbooks/shop.yaml at the repository root (this file is src/config/index.ts). */
export const DEFAULT_PLAYBOOK = path.resolve(__dirname, '..', '..', 'playbooks', 'shop.yaml');

const trimSlash = (url: string | undefined) => url?.replace(/\/$/, '');

const configSchema = envSchema
  .superRefine(checkAcrossVariables)
  .transform((e, ctx) => ({
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    temporal: {
      /** Set when an external Temporal server is used; otherwise the embedded dev server runs. */
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      workflowCache: e.AFTERCARE_WORKFLOW_CACHE,
      cliPath: e.TEMPORAL_CLI_PATH,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      /**
       * Worker Versioning: the deployment and, when given, the build id (otherwise the worker derives it from its
       * workflow bundle). Undefined: the worker is unversioned.
       */
      versioning: e.AFTERCARE_DEPLOYMENT_NAME
        ? { deploymentName: e.AFTERCARE_DEPLOYMENT_NAME, buildId: e.AFTERCARE_BUILD_ID }
        : undefined,
      /** Base URL of the Temporal Web UI, for links in operator-facing output. */
      uiUrl: trimSlash(e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`)!,
    },
    api: {
      host: e.AFTERCARE_HOST,
      port: e.AFTERCARE_PORT,
      publicUrl: trimSlash(e.AFTERCARE_PUBLIC_URL ?? `http://localhost:${e.AFTERCARE_PORT}`)!,
      apiKey: e.AFTERCARE_API_KEY,
      operatorKey: e.AFTERCARE_OPERATOR_KEY,
    },
    metrics: {
      /** The SDK's Prometheus endpoint's port on 127.0.0.1 (0: pick a free one). */
      sdkPort: e.AFTERCARE_SDK_METRICS_PORT,
      /** The worker process's /metrics listener (on AFTERCARE_HOST), when set. */
      workerPort: e.AFTERCARE_WORKER_METRICS_PORT,
    },
    dataDir: path.resolve(e.AFTERCARE_DATA_DIR),
    playbookPath: e.AFTERCARE_PLAYBOOK ? path.resolve(e.AFTERCARE_PLAYBOOK) : DEFAULT_PLAYBOOK,
    system: {
      /** Where Aftercare caches things outside any checkout (the Temporal CLI build). */
      cacheDir: path.resolve(
        e.AFTERCARE_CACHE_DIR ?? path.join(e.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'aftercare'),
      ),
      /** The environment child processes (Temporal CLI, go) inherit: the variables as given. */
      childEnv: Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'string')) as Record<
        string,
        string | undefined
      >,
    },
    outbox: e.AFTERCARE_OUTBOX ?? (e.NODE_ENV === 'development' ? 'auto' : 'off'),
    sendRates: sendRates(e.AFTERCARE_SEND_RATES),
    /** Signs links in messages and keys contacts; generated in development (kept in the data dir). */
    secret: e.AFTERCARE_SECRET,
    /** Payload-encryption keyring; without it the key derived from the secret encrypts. */
    encryptionKeys: e.AFTERCARE_ENCRYPTION_KEYS,
    email: {
      resendApiKey: e.RESEND_API_KEY,
      resendBaseUrl: trimSlash(e.RESEND_BASE_URL),
      from: e.EMAIL_FROM,
      /** Svix signing secret (whsec_…) of the Resend webhook. */
      webhookSecret: e.RESEND_WEBHOOK_SECRET,
    },
    sms: {
      twilio:
        e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
          ? {
              accountSid: e.TWILIO_ACCOUNT_SID,
              authToken: e.TWILIO_AUTH_TOKEN,
              from: e.TWILIO_FROM,
              messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
              baseUrl: trimSlash(e.TWILIO_API_BASE_URL),
            }
          : undefined,
    },
    telegram: {
      botToken: e.TELEGRAM_BOT_TOKEN,
      botUsername: e.TELEGRAM_BOT_USERNAME,
      apiRoot: e.TELEGRAM_API_ROOT,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    },
    whatsapp: {
      token: e.WHATSAPP_TOKEN,
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID,
      baseUrl: trimSlash(e.WHATSAPP_API_BASE_URL),
      graphVersion: e.WHATSAPP_GRAPH_VERSION,
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
    },
    woocommerce: {
      /** Per tenant: the webhook secret (the route) and the store's REST access (the reconciliation). */
      tenants: wooCommerceTenantsFromEnv({
        url: e.WOOCOMMERCE_URL,
        consumerKey: e.WOOCOMMERCE_CONSUMER_KEY,
        consumerSecret: e.WOOCOMMERCE_CONSUMER_SECRET,
        webhookSecret: e.WOOCOMMERCE_WEBHOOK_SECRET,
        webhookSecrets: e.WOOCOMMERCE_WEBHOOK_SECRETS,
      }),
      /** ms between reconciliations. */
      reconcileEvery:
        (e.WOOCOMMERCE_RECONCILE_EVERY && parseDuration(e.WOOCOMMERCE_RECONCILE_EVERY)) || DEFAULT_RECONCILE_EVERY_MS,
    },
    shopify: {
      /** Webhook secret (the app's client secret) per tenant; empty: no Shopify route. */
      webhookSecrets: shopifySecrets(e.SHOPIFY_WEBHOOK_SECRET, e.SHOPIFY_WEBHOOK_SECRETS),
    },
    /** Tenants besides the default one (the environment's settings above): none without AFTERCARE_TENANTS. */
    tenants: tenantsOf(e, ctx),
  }))
  .transform((c) => {
    // A tenant's Shopify secret from the tenants file serves /webhooks/shopify/<tenant> like SHOPIFY_WEBHOOK_SECRETS.
    for (const t of c.tenants) if (t.shopify) c.shopify.webhookSecrets[t.id] = t.shopify.webhookSecret;
    // And its WooCommerce store: the webhooks' route and, with REST access, its reconciliation.
    for (const t of c.tenants) {
      const w = t.woocommerce;
      if (!w) continue;
      c.woocommerce.tenants[t.id] = {
        ...(w.webhookSecret ? { webhookSecret: w.webhookSecret } : {}),
        ...(w.url && w.consumerKey && w.consumerSecret
          ? {
              rest: {
                storeUrl: w.url.replace(/\/+$/, ''),
                consumerKey: w.consumerKey,
                consumerSecret: w.consumerSecret,
              },
            }
          : {}),
      };
    }
    return c;
  });

/** The configuration every part of Aftercare receives: the schema's output, not a second hand-written type. */
export type Config = z.output<typeof configSchema>;

/** Parses the environment once; every problem is reported at once, each naming its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** The Temporal frontend the split processes and `npm run ops` use: TEMPORAL_ADDRESS, else `npm start`'s dev server. */
export const temporalAddressOf = (config: Config): string =>
  config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
