/**
 * What the customer writes about this order (an SMS, Telegram or WhatsApp reply the API routed here): a rating
 * while the survey is open is its answer; anything else goes to the business and the customer hears "we'll get
 * back to you". Workflow code: deterministic.
 */
import type { Journey } from './context';

export function handleReplies(_j: Journey): void {
  // Filled in by the replies work (customerReplyUpdate).
}
