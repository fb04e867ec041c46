/** Which links a message may carry. Pure: kinds.ts (imported by workflows) uses it. */

/** The URL as given when it is http(s); undefined for anything else (javascript:, data:, garbage). */
export function httpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export function mailtoUrl(url: string): string | undefined {
  return /^mailto:[^\s]+$/i.test(url) ? url : undefined;
}
