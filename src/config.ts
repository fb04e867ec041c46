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

  RESEND_API_KEY: optionalString,
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
  email: {
    resendApiKey: string | undefined;
    resendBaseUrl: string | undefined;
    from: string | undefined;
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
    email: {
      resendApiKey: e.RESEND_API_KEY,
      resendBaseUrl: e.RESEND_BASE_URL?.replace(/\/$/, ''),
      from: e.EMAIL_FROM,
    },
  };
}
