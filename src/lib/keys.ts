/**
 * One master secret (AFTERCARE_SECRET), a separate subkey for each use, so a key leaked from one use
 * says nothing about the others: HKDF-SHA256 with the use as its info string. The payload-encryption
 * key may instead come from its own keyring (AFTERCARE_ENCRYPTION_KEYS), configured and rotated apart
 * from the master secret.
 */
import { createHash, hkdfSync } from 'node:crypto';

export interface Keyring {
  /** Encrypts new payloads; its id travels in each payload's metadata. */
  current: { id: string; key: Buffer };
  /** Every key that may still decrypt (the current one, older ones kept after a rotation). */
  byId: ReadonlyMap<string, Buffer>;
}

export interface Keys {
  /** Signs the links messages carry (survey, review, unsubscribe, Telegram). */
  links: string;
  /** Keys contacts (HMAC) so webhooks find a customer without plain contacts in visibility. */
  contacts: string;
  /** Encrypts the payloads Aftercare writes to Temporal history. */
  payloads: Keyring;
  /**
   * Before subkeys existed, links and contact keys used the master secret itself. Links already in
   * customers' mailboxes (an unsubscribe link lives a year) and contact keys already in visibility stay
   * readable with it; nothing new is signed or keyed with it. See docs/security.md for when it goes.
   */
  legacy: string;
}

const SALT = 'aftercare/v1';
const DERIVED_KEY_ID = 's1';

function subkey(secret: string, use: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, use, 32));
}

/**
 * The keys for a master secret. `encryptionKeys` ("id:base64key,id:base64key", the first encrypts)
 * replaces the derived payload key for encryption; the derived key still decrypts what it wrote.
 */
export function deriveKeys(secret: string, encryptionKeys?: string): Keys {
  if (secret.length < 32) throw new Error('AFTERCARE_SECRET must be at least 32 characters');
  const derived = { id: DERIVED_KEY_ID, key: subkey(secret, 'payload-encryption') };
  const configured = encryptionKeys ? parseKeyring(encryptionKeys) : [];
  const byId = new Map<string, Buffer>([[derived.id, derived.key]]);
  for (const k of configured) byId.set(k.id, k.key);
  return {
    links: subkey(secret, 'link-signing').toString('base64url'),
    contacts: subkey(secret, 'contact-keys').toString('base64url'),
    payloads: { current: configured[0] ?? derived, byId },
    legacy: secret,
  };
}

/** "k2:base64,k1:base64" → keys in order; each must be 32 bytes (AES-256) with a unique, short id. */
export function parseKeyring(text: string): { id: string; key: Buffer }[] {
  const keys = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, encoded, extra] = entry.split(':');
      if (!id || !encoded || extra !== undefined || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
        throw new Error('each key is "<id>:<base64 of 32 bytes>", ids of letters, digits, "_" or "-"');
      }
      if (id === DERIVED_KEY_ID) throw new Error(`key id "${DERIVED_KEY_ID}" is reserved for the derived key`);
      const key = Buffer.from(encoded, 'base64');
      if (key.length !== 32) throw new Error(`key "${id}" is ${key.length} bytes; AES-256 needs 32`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('give at least one key');
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error('key ids must be unique');
  return keys;
}

/** A short, non-secret fingerprint of a key, for logs and the startup banner. */
export const fingerprint = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);
