import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { deriveKeys, type Keys } from './lib/keys';

export interface Resolved {
  value: string;
  /** True when generated for development (and kept in the data directory). */
  generated: boolean;
}

/**
 * A configured value, or in development one generated once and kept in the data directory, so
 * restarts keep working curl examples (API key) and links already sent (secret).
 */
function configuredOrGenerated(config: Config, configured: string | undefined, file: string, prefix: string): Resolved {
  if (configured) return { value: configured, generated: false };
  const where = path.join(config.dataDir, file);
  if (existsSync(where)) return { value: readFileSync(where, 'utf8').trim(), generated: true };
  const value = `${prefix}${randomBytes(24).toString('base64url')}`;
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(where, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

export const resolveApiKey = (config: Config) =>
  configuredOrGenerated(config, config.api.apiKey, 'dev-api-key', 'dev_');
export const resolveSecret = (config: Config) =>
  configuredOrGenerated(config, config.secret, 'dev-secret', 'devsecret_');

/** The subkeys of AFTERCARE_SECRET (links, contact keys, payload encryption), with AFTERCARE_ENCRYPTION_KEYS if set. */
export const resolveKeys = (config: Config): Keys => deriveKeys(resolveSecret(config).value, config.encryptionKeys);
