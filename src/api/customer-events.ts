import type { CustomerEvent } from '../contract';

/**
 * What inbound webhooks and the consent API need from Aftercare: find the customer a contact
 * belongs to (by its keyed hash, see src/contact-keys.ts) and hand their lifecycle an event.
 * AftercareClient implements it against Temporal; tests may record calls instead.
 */
export interface CustomerEventSink {
  /** The customer id whose lifecycle carries this contact key, if any. */
  findCustomerByContactKey(key: string): Promise<string | undefined>;
  /** Delivers the event to the customer's lifecycle (which ignores replayed event ids). */
  recordCustomerEvent(customerId: string, event: CustomerEvent): Promise<void>;
}
