/**
 * Encryption of everything Aftercare writes to Temporal history (inputs, results, signals, updates,
 * query answers, memo, summaries, failure messages): a payload codec on AES-256-GCM. Each encrypted
 * payload is the whole original payload (metadata and data, as protobuf), sealed with a fresh 12-byte
 * IV; its metadata says `encoding: binary/encrypted` and names the key, so after a rotation older keys
 * in the keyring still open what they sealed. Payloads without that encoding (history written before
 * encryption) pass through decode untouched. See docs/security.md.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Keyring } from '../lib/keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that claims to be ours but cannot be opened: never handed on as if it were data. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) =>
      text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING ? this.open(payload) : payload,
    );
  }

  private seal(payload: Payload): Payload {
    const { id, key } = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv);
    // The key id is authenticated too: relabelling a payload with another id fails like tampering.
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
        [KEY_ID_METADATA]: Buffer.from(id, 'utf8'),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new PayloadDecryptionError(`an encrypted payload has no "${KEY_ID_METADATA}"`);
    const key = this.keyring.byId.get(id);
    if (!key) {
      throw new PayloadDecryptionError(
        `no key "${id}" in the keyring: keep retired keys in AFTERCARE_ENCRYPTION_KEYS until their workflows are gone`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`an encrypted payload is truncated`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`an encrypted payload failed authentication with key "${id}": it was altered`);
    }
    const { metadata, data: inner } = temporal.api.common.v1.Payload.decode(plain);
    return { metadata, data: inner };
  }
}

/** Bundled into workflow code as well: workflows' own failures (update rejections) are encoded too. */
export const failureConverterPath = path.resolve(__dirname, 'failure-converter.ts');

/** What every Client and Worker of Aftercare is given: the encryption codec and the failure converter. */
export function dataConverterFor(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keyring)], failureConverterPath };
}
