import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { CUSTOMER_SA } from '../workflows/customer/contract';
import { ORDER_SA } from '../workflows/order/contract';
import { TENANT_SA } from '../workflows/tenant';
import type { Logger } from '../logger';

/** Every custom search attribute Aftercare's workflows set (each context's contract defines its own). */
export const SEARCH_ATTRIBUTE_KEYS = [
  ...Object.values(CUSTOMER_SA),
  ...Object.values(ORDER_SA),
  ...Object.values(TENANT_SA),
];

const INDEXED = temporal.api.enums.v1.IndexedValueType;
const TYPE_MAP: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: INDEXED.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: INDEXED.INDEXED_VALUE_TYPE_TEXT,
  INT: INDEXED.INDEXED_VALUE_TYPE_INT,
  DOUBLE: INDEXED.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: INDEXED.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: INDEXED.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: INDEXED.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the custom search attributes the workflows set, once per namespace. Idempotent: only
 * missing ones are added, so it runs at every start. On a server where this identity may not add
 * attributes (Temporal Cloud), it warns and the operator registers them by hand.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: Logger): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((k) => !present.has(k.name));
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(missing.map((k) => [k.name, TYPE_MAP[k.type]!]));
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    log.info({ namespace, added: missing.map((k) => k.name) }, 'registered search attributes');
  } catch (err) {
    log.warn(
      { namespace, missing: missing.map((k) => `${k.name}=${k.type}`), err: (err as Error).message },
      'could not register search attributes; register them on the server (see docs/deployment.md)',
    );
  }
}
