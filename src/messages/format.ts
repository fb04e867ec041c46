/**
 * Values as the customer's locale writes them (Intl), and plain-text tidying. Dates are shown in the
 * customer's time zone; numbers in the locale's own digits (১৫ in Bengali), matching the dates next to them.
 */

// Formatters are costly to build and few distinct (locale, zone) pairs occur; keep them.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${options.dateStyle}|${options.timeStyle}`;
  let format = dateFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      // The API validates zones; a stale one in a running journey should not fail the message.
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
    }
    dateFormats.set(key, format);
  }
  return format;
}

/** A date and time ("Mar 11, 2025, 12:30 AM"); the input as given when it is not a date. */
export function formatDate(iso: string, locale: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateFormat(locale, timeZone, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A day without a time ("April 1, 2028"), as the customer's calendar shows it. */
export function formatDay(iso: string, locale: string, timeZone = 'UTC'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateFormat(locale, timeZone, { dateStyle: 'long' }).format(date);
}

const numberFormats = new Map<string, Intl.NumberFormat>();
export function formatNumber(value: number, locale: string): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    numberFormats.set(locale, format);
  }
  return format.format(value);
}

/**
 * How long the customer has had it, from whole months: "3 months" under a year, "2 years" or "2 years,
 * 3 months" after ("২ বছর, ৩ মাস"); undefined under a month, so templates say it without a duration.
 */
export function formatTimeOwned(months: number, locale: string): string | undefined {
  const whole = Math.floor(months);
  if (whole < 1) return undefined;
  const unit = (value: number, u: 'month' | 'year') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'long' }).format(value);
  if (whole < 12) return unit(whole, 'month');
  const years = Math.floor(whole / 12);
  const rest = whole % 12;
  return rest === 0
    ? unit(years, 'year')
    : new Intl.ListFormat(locale, { style: 'long', type: 'unit' }).format([unit(years, 'year'), unit(rest, 'month')]);
}

/** "Roof, Windows, and Heat pump"; "Roof, Windows এবং Heat pump". */
export function formatList(items: string[], locale: string): string {
  return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(items);
}

/**
 * Minor units as money in the locale ("€12.34", "১২.৩৪€"), with as many decimals as the currency has
 * (none for JPY, three for BHD). Undefined for a currency Intl does not know: better no line than a wrong sum.
 */
export function formatMoney(minor: number, currency: string, locale: string): string | undefined {
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 10 ** (digits ?? 2));
  } catch {
    return undefined;
  }
}

/** One line of plain text: runs of whitespace (newlines included) become one space. */
export function tidy(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text); // by code point, so Bengali and emoji are not cut mid-character
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}
