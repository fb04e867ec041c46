/** SMS text facts (3GPP TS 23.038), whatever the provider: what a text costs in segments, and how to make it fit. */

// GSM 03.38 basic table without ESC (0x1B), which only introduces the extension table.
const GSM7_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
// Extension table: each costs ESC + char, 2 septets.
const GSM7_EXTENSION = new Set(Array.from('\f^{}\\[~]|€'));

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** How many SMS the carrier bills; 0 for an empty text. */
  segments: number;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
}

/**
 * GSM-7 when every character is in the basic or extension table (160 septets, 153 per part once concatenated,
 * the rest going to the UDH); otherwise the whole text is UCS-2 (70 code units, 67 per part). A character is
 * never split across parts (an escape pair, a surrogate pair), so a part can hold one unit less than the maximum.
 */
export function smsSegments(text: string): SmsSegments {
  const chars = Array.from(text);
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const costs = gsm ? chars.map((c) => (GSM7_EXTENSION.has(c) ? 2 : 1)) : chars.map((c) => c.length);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const units = costs.reduce((a, b) => a + b, 0);
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: packSegments(costs, units, single, multi), units };
}

function packSegments(costs: number[], units: number, single: number, multi: number): number {
  if (units === 0) return 0;
  if (units <= single) return 1;
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > multi) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

// Created on first use: building a Segmenter loads ICU break data (~15 ms), which most workers never need.
let graphemes: Intl.Segmenter | undefined;

/**
 * Returns `text` if it fits in `maxSegments`, else cuts it at a word boundary and appends an ellipsis so the
 * result fits. A GSM-7 text gets '...' rather than '…': U+2026 is not in GSM-7 and would turn the whole message
 * into UCS-2, cutting capacity from 153 to 67 per part. Cuts between grapheme clusters, never inside one
 * (Bengali vowel signs, emoji sequences).
 */
export function fitSms(text: string, maxSegments: number): string {
  if (!Number.isInteger(maxSegments) || maxSegments < 1) throw new RangeError('fitSms: maxSegments must be >= 1');
  const whole = smsSegments(text);
  if (whole.segments <= maxSegments) return text;

  const ellipsis = whole.encoding === 'GSM-7' ? '...' : '…';
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const parts = Array.from(graphemes.segment(text), (s) => s.segment);
  const fits = (n: number) => smsSegments(parts.slice(0, n).join('') + ellipsis).segments <= maxSegments;

  // Segments only grow with the prefix, so binary search for the longest prefix that fits.
  let lo = 0;
  let hi = parts.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }

  const prefix = parts.slice(0, lo).join('');
  const nextIsSpace = /^\s/.test(parts[lo] ?? '');
  const lastSpace = prefix.search(/\s\S*$/);
  // Drop the partial last word unless it is the only word (then a hard cut beats an empty message).
  const cut = nextIsSpace || lastSpace <= 0 ? prefix : prefix.slice(0, lastSpace);
  const trimmed = cut.replace(/[\s,;:.\-–—]+$/u, '');
  return (trimmed || prefix) + ellipsis;
}
