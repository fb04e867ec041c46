/** Money in integer minor units: amounts from the edge are converted once, and never touch floats after. */

/** Number of minor-unit digits of a currency (2 for EUR, 0 for JPY, 3 for KWD). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Converts a decimal amount to integer minor units, or undefined if it has too many decimals. */
export function toMinorUnits(amount: number, currency: string): number | undefined {
  const digits = currencyDigits(currency);
  const scaled = Math.round(amount * 10 ** digits);
  // Reject 9.999 EUR: the amount must be representable exactly in the currency's minor units.
  if (Math.abs(scaled / 10 ** digits - amount) > 1e-9) return undefined;
  return scaled;
}

/** "499.00 EUR": minor units back as a plain decimal, for summaries (not for customers: see messages/format). */
export function formatMinor(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
}
