import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * All configuration, parsed once at boot. Nothing else in the codebase reads process.env:
 * everything that needs a setting receives it from here.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('aftercare'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),

  AFTERCARE_HOST: z.string().min(1).default('127.0.0.1'),
  AFTERCARE_PORT: port(3000),
  AFTERCARE_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  AFTERCARE_DATA_DIR: z.string().min(1).default('.data'),
  AFTERCARE_PLAYBOOK: optionalString,
  AFTERCARE_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  AFTERCARE_CACHE_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,
  AFTERCARE_OUTBOX: z.enum(['auto', 'off']).default('auto'),

  AFTERCARE_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),

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
  RESEND_BASE_URL: optionalString.pipe(z.url().optional()),
  EMAIL_FROM: optionalString,
});

export interface Config {
  env: 'development' | 'production' | 'test';
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  temporal: {
    /** Set when an external Temporal server is used; otherwise the embedded dev server runs. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    port: number;
    uiPort: number;
    /** Base URL of the Temporal Web UI, for links in operator-facing output. */
    uiUrl: string;
  };
  api: {
    host: string;
    port: number;
    publicUrl: string;
    apiKey: string | undefined;
  };
  dataDir: string;
  playbookPath: string;
  system: {
    /** Where Aftercare caches things outside any checkout (the Temporal CLI build). */
    cacheDir: string;
    /** The environment child processes (Temporal CLI, go) inherit. */
    childEnv: Record<string, string | undefined>;
  };
  outbox: 'auto' | 'off';
  /** Signs links in messages and keys contacts; generated in development (kept in the data dir). */
  secret: string | undefined;
  email: {
    resendApiKey: string | undefined;
    resendBaseUrl: string | undefined;
    from: string | undefined;
    /** Svix signing secret (whsec_…) of the Resend webhook. */
    webhookSecret: string | undefined;
  };
  sms: {
    twilio?: {
      accountSid: string;
      authToken: string;
      from?: string;
      messagingServiceSid?: string;
      baseUrl?: string;
    };
  };
  telegram: {
    botToken?: string;
    botUsername?: string;
    apiRoot?: string;
    webhookSecret?: string;
  };
  whatsapp: {
    token?: string;
    phoneNumberId?: string;
    baseUrl?: string;
    graphVersion?: string;
    appSecret?: string;
    verifyToken?: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_PLAYBOOK = path.resolve(__dirname, '..', 'playbooks', 'shop.yaml');

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.RESEND_API_KEY && !e.EMAIL_FROM) {
    problems.push('EMAIL_FROM: required when RESEND_API_KEY is set (e.g. "Shop <orders@shop.example>")');
  }
  if (e.NODE_ENV === 'production' && !e.AFTERCARE_API_KEY) {
    problems.push('AFTERCARE_API_KEY: required when NODE_ENV=production');
  }
  if (e.NODE_ENV === 'production' && !e.AFTERCARE_SECRET) {
    problems.push('AFTERCARE_SECRET: required when NODE_ENV=production (signs links in messages)');
  }
  if ((e.TWILIO_ACCOUNT_SID || e.TWILIO_AUTH_TOKEN) && !(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN)) {
    problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both, or neither');
  }
  if (e.TWILIO_ACCOUNT_SID && !e.TWILIO_FROM && !e.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push('TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID: required with TWILIO_ACCOUNT_SID');
  }
  if (e.TELEGRAM_BOT_TOKEN && !e.TELEGRAM_WEBHOOK_SECRET) {
    problems.push('TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_BOT_TOKEN (the bot webhook checks it)');
  }
  if ((e.WHATSAPP_TOKEN || e.WHATSAPP_PHONE_NUMBER_ID) && !(e.WHATSAPP_TOKEN && e.WHATSAPP_PHONE_NUMBER_ID)) {
    problems.push('WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID: set both, or neither');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.AFTERCARE_DATA_DIR);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: (e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
    },
    api: {
      host: e.AFTERCARE_HOST,
      port: e.AFTERCARE_PORT,
      publicUrl: (e.AFTERCARE_PUBLIC_URL ?? `http://localhost:${e.AFTERCARE_PORT}`).replace(/\/$/, ''),
      apiKey: e.AFTERCARE_API_KEY,
    },
    dataDir,
    playbookPath: e.AFTERCARE_PLAYBOOK ? path.resolve(e.AFTERCARE_PLAYBOOK) : DEFAULT_PLAYBOOK,
    system: {
      cacheDir: path.resolve(
        e.AFTERCARE_CACHE_DIR ?? path.join(e.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'aftercare'),
      ),
      childEnv: { ...env },
    },
    outbox: e.AFTERCARE_OUTBOX,
    secret: e.AFTERCARE_SECRET,
    email: {
      resendApiKey: e.RESEND_API_KEY,
      resendBaseUrl: e.RESEND_BASE_URL?.replace(/\/$/, ''),
      from: e.EMAIL_FROM,
      webhookSecret: e.RESEND_WEBHOOK_SECRET,
    },
    sms: {
      ...(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? {
            twilio: {
              accountSid: e.TWILIO_ACCOUNT_SID,
              authToken: e.TWILIO_AUTH_TOKEN,
              from: e.TWILIO_FROM,
              messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID,
              baseUrl: e.TWILIO_API_BASE_URL?.replace(/\/$/, ''),
            },
          }
        : {}),
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
      baseUrl: e.WHATSAPP_API_BASE_URL?.replace(/\/$/, ''),
      graphVersion: e.WHATSAPP_GRAPH_VERSION,
      appSecret: e.WHATSAPP_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN,
    },
  };
}
