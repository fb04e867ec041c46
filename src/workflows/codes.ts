/** Personal codes (offers, referrals, win-backs): readable, say whose they are, unique. Workflow code. */
import { uuid4 } from '@temporalio/workflow';

/**
 * "Dana's Shop", "R", 7 → "DANAS-R1A2B3C4": the brand's first letters, a marker for the kind of code
 * and random characters from the workflow's deterministic uuid.
 */
export function personalCode(brand: string, marker: string, length: number, fallbackPrefix = 'OFFER'): string {
  const prefix =
    brand
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 5)
      .toUpperCase() || fallbackPrefix;
  return `${prefix}-${marker}${uuid4().replace(/-/g, '').slice(0, length).toUpperCase()}`;
}
