/** Personal codes (offers, referrals, win-backs): readable, say whose they are, unique. Workflow code. */
import { uuid4 } from '@temporalio/workflow';

/** How each kind's code looks: a marker after the brand, and how many random characters follow it. */
export const CODE_FORMATS = {
  offer: { marker: '', length: 8 },
  referral: { marker: 'R', length: 7 },
  winback: { marker: 'W', length: 7, fallbackPrefix: 'CODE' },
  occasion: { marker: 'G', length: 7 },
} as const;

export type CodeFormat = { marker: string; length: number; fallbackPrefix?: string };

/**
 * "Dana's Shop", "R", 7 → "DANAS-R1A2B3C4": the brand's first letters, a marker for the kind of code
 * and random characters from the workflow's deterministic uuid.
 */
export function personalCode(brand: string, format: CodeFormat): string {
  return codeWith(brand, format, uuid4().replace(/-/g, '').slice(0, format.length).toUpperCase());
}

/** The code around its random part (pure: the preview shows a code with placeholders for the random part). */
export function codeWith(brand: string, format: CodeFormat, random: string): string {
  const prefix =
    brand
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 5)
      .toUpperCase() ||
    format.fallbackPrefix ||
    'OFFER';
  return `${prefix}-${format.marker}${random}`;
}
