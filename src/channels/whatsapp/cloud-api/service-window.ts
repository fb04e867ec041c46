/** WhatsApp's 24 h customer-service window: free-form messages only within it, templates outside. */

const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;
// Inbound timestamps slightly ahead of our clock are skew, not the future.
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * True when the customer wrote within the last 24 h, so a free-form message is allowed. Accepts ISO dates and
 * Unix seconds (the webhook `timestamp`). `marginMs` shortens the window, for sends that may be retried later.
 */
export function withinServiceWindow(lastInboundAt: string | undefined, now: number, marginMs = 0): boolean {
  if (!lastInboundAt) return false;
  const at = /^\d+$/.test(lastInboundAt) ? Number(lastInboundAt) * 1000 : Date.parse(lastInboundAt);
  if (!Number.isFinite(at)) return false;
  const age = now - at;
  return age >= -CLOCK_SKEW_MS && age < SERVICE_WINDOW_MS - marginMs;
}
