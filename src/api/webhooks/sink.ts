import type { FastifyRequest } from 'fastify';
import { isNotFound } from '../../lib/http';
import type { CustomerEventSink } from '../../gateway/customers';
import type { CustomerEvent } from '../../workflows/customer/contract';

export type { CustomerEventSink };

/**
 * Records the events for whoever owns the contact key; false (and nothing recorded) when nobody
 * does. Unknown customers still get a 2xx from the webhook: providers retry anything else for days.
 */
export async function recordForContact(
  sink: CustomerEventSink,
  request: FastifyRequest,
  key: string,
  events: CustomerEvent[],
): Promise<boolean> {
  const customerId = await sink.findCustomerByContactKey(key);
  if (customerId === undefined) {
    request.log.info({ eventIds: events.map((e) => e.eventId) }, 'webhook for an unknown contact ignored');
    return false;
  }
  for (const event of events) {
    try {
      await sink.recordCustomerEvent(customerId, event);
    } catch (err) {
      // The lifecycle is gone (e.g. purged): same as an unknown customer, not worth a retry storm.
      if (isNotFound(err)) return false;
      throw err;
    }
  }
  request.log.info({ events: events.map((e) => ({ type: e.type, eventId: e.eventId })) }, 'webhook recorded');
  return true;
}
