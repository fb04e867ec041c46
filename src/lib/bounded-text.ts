/**
 * Text that reaches Temporal, bounded in bytes. Temporal's server limits (defaults of its dynamic config):
 * a summary payload 400 bytes (limit.userMetadataSummarySize), details 20 000 bytes
 * (limit.userMetadataDetailsSize), a search attribute value 2 048 bytes
 * (frontend.searchAttributesSizeOfValueLimit). A summary over its limit fails the workflow task, again on every
 * retry. Pure and deterministic: workflow code uses it.
 */

/** Plain text of a summary: room left for its JSON encoding and the codec's encryption (nonce, tag, key id). */
export const SUMMARY_MAX_BYTES = 200;
export const DETAILS_MAX_BYTES = 16_000;
/** A search attribute value as the server measures it: the JSON of the value (a list with its quotes and commas). */
export const SEARCH_ATTRIBUTE_MAX_BYTES = 2_000;

/** UTF-8 length without TextEncoder or Buffer (neither is needed in the workflow sandbox). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The text, cut at a character boundary to at most `maxBytes` bytes, with "…" where it was cut. */
export function fitBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - 3; // "…" is 3 bytes
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = utf8Length(ch);
    if (bytes + size > budget) break;
    out += ch;
    bytes += size;
  }
  return `${out}…`;
}

/** A timer's or activity's summary: one line, within the summary limit. */
export const summary = (text: string) => fitBytes(text.replace(/\s+/g, ' ').trim(), SUMMARY_MAX_BYTES);

/** A keyword list search attribute: the first values that fit the value limit (callers order by importance). */
export function fitKeywordList(values: readonly string[], maxBytes = SEARCH_ATTRIBUTE_MAX_BYTES): string[] {
  const kept: string[] = [];
  let bytes = 2; // []
  for (const value of values) {
    const size = utf8Length(JSON.stringify(value)) + (kept.length ? 1 : 0);
    if (bytes + size > maxBytes) break;
    kept.push(value);
    bytes += size;
  }
  return kept;
}
