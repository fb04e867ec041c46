/**
 * The lifecycle's side of the conversation: what the customer wrote, kept bounded in their profile; a message no
 * running journey could take is forwarded to the business from here. Workflow code: deterministic.
 */
import type { CustomerEvent } from './contract';
import type { Lifecycle } from './context';

export function rememberInbound(_l: Lifecycle, _event: Extract<CustomerEvent, { type: 'inbound' }>): void {
  // Filled in by the replies work.
}
