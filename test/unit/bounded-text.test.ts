import { describe, expect, it } from 'vitest';
import { contactKey } from '../../src/channels/contact-keys';
import {
  fitBytes,
  fitKeywordList,
  SEARCH_ATTRIBUTE_MAX_BYTES,
  summary,
  SUMMARY_MAX_BYTES,
  utf8Length,
} from '../../src/lib/bounded-text';

describe('text bounded in bytes', () => {
  it('counts UTF-8 bytes like Buffer does, for Bengali, emoji and ASCII', () => {
    for (const text of ['abc', 'ওয়ারেন্টি', '😀 ok', 'ü€𝄞']) expect(utf8Length(text)).toBe(Buffer.byteLength(text));
  });

  it('cuts at a character boundary, marks the cut, and leaves short text alone', () => {
    expect(fitBytes('short', 10)).toBe('short');
    const cut = fitBytes('ওয়ারেন্টি'.repeat(50), 100);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
    const long = summary(`wait for the warranty check-in (${Array(20).fill('A very long sofa name').join(',\n ')})`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(SUMMARY_MAX_BYTES);
    expect(long).not.toContain('\n');
  });

  it('keeps a keyword-list search attribute under the value limit, first values first', () => {
    const keys = Array.from({ length: 100 }, (_, i) => contactKey('secret', 'email', `c${i}@example.com`));
    const kept = fitKeywordList(keys);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_MAX_BYTES);
    expect(kept.length).toBeGreaterThan(50);
    expect(kept).toEqual(keys.slice(0, kept.length));
    expect(fitKeywordList(keys.slice(0, 3))).toEqual(keys.slice(0, 3));
  });
});
