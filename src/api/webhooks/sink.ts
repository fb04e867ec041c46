import pLimit from 'p-limit';
import type { FastifyRequest } from 'fastify';
import { isNotFound } from '../../lib/http';
import type { CustomerEventSink } from '../../gateway/customers';
import type { CustomerEvent } from '../../workflows/customer/contract';

export type { CustomerEventSink };

/**
 * Records the events for whoever owns the contact key; false (and nothing recorded) when nobody
 * does. Unknown customers still get a 2xx from the webhook: providers retry anything else for days.
 */
/** How many customers' lifecycles one webhook signals at once. */
export const FAN_OUT = 8;

export async function recordForContact(
  sink: CustomerEventSink,
  request: FastifyRequest,
  keys: string[],
  events: CustomerEvent[],
): Promise<boolean> {
  // Every customer the contact belongs to hears it: a STOP from a shared phone stops all of them.
  const customerIds = await ownersOf(sink, keys, events);
  let recorded = false;
  // Customers side by side (a shop's own number can be on hundreds of them), each one's events in order: one after
  // another, a webhook for 57 customers outlasted its Temporal budget (the fuzz drill).
  const limit = pLimit(FAN_OUT);
  await Promise.all(
    customerIds.map((customerId) =>
      limit(async () => {
        try {
          for (const event of events) await sink.recordCustomerEvent(customerId, fromAddress(event, keys[0]));
          recorded = true;
        } catch (err) {
          // The lifecycle is gone (e.g. erased): same as an unknown customer, not worth a retry storm.
          if (!isNotFound(err)) throw err;
        }
      }),
    ),
  );
  if (!recorded) {
    request.log.info({ eventIds: events.map((e) => e.eventId) }, 'webhook for an unknown contact ignored');
    return false;
  }
  const recordedEvents = events.map((e) => ({ type: e.type, eventId: e.eventId }));
  request.log.info({ events: recordedEvents, customers: customerIds.length }, 'webhook recorded');
  return true;
}

/**
 * Visibility indexes a contact key a moment after the lifecycle learned it (a chat linked a second ago, a new
 * customer's first order): a consent change from a contact nobody has yet is looked up again for up to 3 s
 * before it is dropped, since a STOP lost here would still be answered "stopped" and never retried.
 */
const INDEX_LAG_MS = [200, 400, 800, 1600];

async function ownersOf(sink: CustomerEventSink, keys: string[], events: CustomerEvent[]): Promise<string[]> {
  let ids = await sink.findCustomersByContactKeys(keys);
  if (ids.length > 0 || !events.some((e) => e.type === 'opt-out' || e.type === 'opt-in')) return ids;
  for (const ms of INDEX_LAG_MS) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    ids = await sink.findCustomersByContactKeys(keys);
    if (ids.length > 0) break;
  }
  return ids;
}

/**
 * What a provider reports is about the address it names (keys[0], its key today): a STOP from an old
 * number blocks that number, not the one the customer uses now.
 */
function fromAddress(event: CustomerEvent, key: string | undefined): CustomerEvent {
  if (!key || !('channel' in event) || event.type === 'inbound' || 'contactKey' in event) return event;
  return { ...event, contactKey: key };
}
