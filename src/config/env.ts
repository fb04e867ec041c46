import { z } from 'zod';
import { apiEnv } from './api';
import { channelsEnv } from './channels';
import { optionalString } from './fields';
import { shopsEnv } from './shops';
import { temporalEnv } from './temporal';

/** Every environment variable Aftercare reads: the process's own, then each area's (see the files named below). */
export const envSchema = z.looseObject({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AFTERCARE_DATA_DIR: z.string().min(1).default('.data'),
  AFTERCARE_PLAYBOOK: optionalString,
  AFTERCARE_CACHE_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,

  ...temporalEnv, // temporal.ts
  ...apiEnv, // api.ts
  ...channelsEnv, // channels.ts
  ...shopsEnv, // shops.ts
});

/** The variables as parsed, before the checks that span several of them (checks.ts) and Config's shape. */
export type Env = z.output<typeof envSchema>;
