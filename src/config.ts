import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseKeyring } from './lib/keys';
import { namedValues } from './lib/pairs';
import { parseDuration } from './playbook/duration';
import { DEFAULT_RECONCILE_EVERY_MS, wooCommerceTenantsFromEnv } from './shops/woocommerce/tenant';
import { tenantsOf } from './tenants/settings';

/**
 * All configuration, parsed once at boot by one schema: the environment's variables, checks that
 * span several of them, and the shape the rest of the code receives (`Config` is that schema's
 * output). Nothing else in the codebase reads process.env.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.looseObject({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('aftercare'),
  /**
   * Messages per second each channel's provider takes ("email=2,sms=1"), across all workers. Defaults: Resend's
   * default team limit (2 requests/s), one Twilio long code (1 message/s), Telegram's broadcast guidance
   * (30 messages/s) and the WhatsApp Cloud API's default throughput (80 messages/s).
   */
  AFTERCARE_SEND_RATES: optionalString.pipe(
    z
      .string()
      .regex(
        /^(email|sms|telegram|whatsapp)=\d+(\.\d+)?(,(email|sms|telegram|whatsapp)=\d+(\.\d+)?)*$/,
        'use channel=messages-per-second pairs, e.g. "email=2,sms=1"',
      )
      .optional(),
  ),
  /**
   * Workflows a worker keeps in memory; the rest sleep in Temporal and replay when they wake (a journey wakes as
   * fast evicted as cached: `npm run bench`). 500 fits the 512 MB heap `npm start` and the image give node.
   */
  AFTERCARE_WORKFLOW_CACHE: z.coerce.number().int().min(1).max(100_000).default(500),
  /**
   * Where the Temporal SDK's Prometheus endpoint binds, on 127.0.0.1 (/metrics serves it; 0: a free port). Only in
   * the processes that run a worker.
   */
  AFTERCARE_SDK_METRICS_PORT: port(0),
  /** The worker process's own /metrics listener (`npm run worker`, which has no API); unset: none. */
  AFTERCARE_WORKER_METRICS_PORT: optionalString.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(65535).optional(),
  ),
  /**
   * Worker Versioning (docs/workflow-versions.md): the Worker Deployment this worker belongs to. Set: the worker
   * registers as a version of it and the server routes workflows by version; unset: unversioned, as always.
   */
  AFTERCARE_DEPLOYMENT_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^(?!__)[^\s:.]{1,100}$/, 'use up to 100 characters without spaces, ":" or ".", not starting with "__"')
      .optional(),
  ),
  /**
   * The version (build) of this worker within AFTERCARE_DEPLOYMENT_NAME, e.g. the git commit from CI. Default: a
   * hash of the workflow bundle, so changed workflow code is a new build by itself.
   */
  AFTERCARE_BUILD_ID: optionalString.pipe(
    z
      .string()
      .regex(/^(?!__)\S{1,100}$/, 'use up to 100 characters without spaces, not starting with "__"')
      .optional(),
  ),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),

  AFTERCARE_HOST: z.string().min(1).default('127.0.0.1'),
  AFTERCARE_PORT: port(3000),
  AFTERCARE_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  AFTERCARE_DATA_DIR: z.string().min(1).default('.data'),
  AFTERCARE_PLAYBOOK: optionalString,
  /** A YAML or JSON file of more tenants (businesses), each with its own API key and playbook: docs/tenants.md. */
  AFTERCARE_TENANTS: optionalString,
  AFTERCARE_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Operators' key: the codec endpoint, /metrics and /docs in production (and, later, operator actions). */
  AFTERCARE_OPERATOR_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  AFTERCARE_CACHE_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,
  /** auto: channels without credentials write to the dev outbox (development only); off: they fail. */
  AFTERCARE_OUTBOX: z.enum(['auto', 'off']).optional(),

  AFTERCARE_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** "id:base64,id:base64": payload-encryption keys, the first encrypts (rotate by putting a new one first). */
  AFTERCARE_ENCRYPTION_KEYS: optionalString,

  RESEND_API_KEY: optionalString,
  RESEND_WEBHOOK_SECRET: optionalString,

  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  TWILIO_FROM: optionalString,
  TWILIO_MESSAGING_SERVICE_SID: optionalString,
  TWILIO_API_BASE_URL: optionalString.pipe(z.url().optional()),

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_BOT_USERNAME: optionalString,
  TELEGRAM_API_ROOT: optionalString.pipe(z.url().optional()),
  TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'use 1-256 characters from A-Z, a-z, 0-9, _ and -')
      .optional(),
  ),

  WHATSAPP_TOKEN: optionalString,
  WHATSAPP_PHONE_NUMBER_ID: optionalString,
  WHATSAPP_API_BASE_URL: optionalString.pipe(z.url().optional()),
  WHATSAPP_GRAPH_VERSION: optionalString.pipe(
    z
      .string()
      .regex(/^v\d+\.\d+$/, 'e.g. "v26.0"')
      .optional(),
  ),
  WHATSAPP_APP_SECRET: optionalString,
  WHATSAPP_VERIFY_TOKEN: optionalString,
  /** The Shopify app's client secret: enables POST /webhooks/shopify/default. */
  SHOPIFY_WEBHOOK_SECRET: optionalString,
  /** More shops, one secret each: "tenant=secret,…" (POST /webhooks/shopify/<tenant>). */
  SHOPIFY_WEBHOOK_SECRETS: optionalString.pipe(
    z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+(,[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+)*$/,
        'use tenant=secret pairs, e.g. "default=abc,outlet=def" (tenants lower-case letters, digits, "-", "_")',
      )
      .optional(),
  ),
  RESEND_BASE_URL: optionalString.pipe(z.url().optional()),
  EMAIL_FROM: optionalString,
  /** The WooCommerce store (WordPress's home URL) and a REST key with read access: enables the reconciliation. */
  WOOCOMMERCE_URL: optionalString.pipe(z.url().optional()),
  WOOCOMMERCE_CONSUMER_KEY: optionalString,
  WOOCOMMERCE_CONSUMER_SECRET: optionalString,
  /** The secret of the store's webhooks: enables POST /webhooks/woocommerce/default. */
  WOOCOMMERCE_WEBHOOK_SECRET: optionalString,
  /** More stores' webhooks, one secret each: "tenant=secret,…" (POST /webhooks/woocommerce/<tenant>). */
  WOOCOMMERCE_WEBHOOK_SECRETS: optionalString.pipe(
    z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+(,[a-z0-9][a-z0-9_-]{0,39}=[^,=\s]+)*$/,
        'use tenant=secret pairs, e.g. "default=abc,outlet=def" (tenants lower-case letters, digits, "-", "_")',
      )
      .optional(),
  ),
  /** How often the reconciliation reads the store for orders whose webhook was missed ("5m"). */
  WOOCOMMERCE_RECONCILE_EVERY: optionalString.pipe(
    z
      .string()
      .refine((v) => (parseDuration(v) ?? 0) >= 10_000, 'use a duration of at least 10s, e.g. "5m"')
      .optional(),
  ),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_PLAYBOOK = path.resolve(__dirname, '..', 'playbooks', 'shop.yaml');

const trimSlash = (url: string | undefined) => url?.replace(/\/$/, '');

const configSchema = envSchema
  .superRefine((e, ctx) => {
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
  })
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

/** SHOPIFY_WEBHOOK_SECRET is the "default" tenant's; SHOPIFY_WEBHOOK_SECRETS adds more ("tenant=secret,…"). */
function shopifySecrets(single: string | undefined, list: string | undefined): Record<string, string> {
  const secrets = namedValues(list);
  if (single) secrets.default = single;
  return secrets;
}

const DEFAULT_SEND_RATES = { email: 2, sms: 1, telegram: 30, whatsapp: 80 };

function sendRates(text: string | undefined): Record<keyof typeof DEFAULT_SEND_RATES, number> {
  const rates = { ...DEFAULT_SEND_RATES };
  for (const pair of text?.split(',') ?? []) {
    const [channel, rate] = pair.split('=') as [keyof typeof rates, string];
    rates[channel] = Number(rate);
  }
  return rates;
}

/** The Temporal frontend the split processes and `npm run ops` use: TEMPORAL_ADDRESS, else `npm start`'s dev server. */
export const temporalAddressOf = (config: Config): string =>
  config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
