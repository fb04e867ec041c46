/**
 * What the response schemas share: the check that pins a schema to its contract type, the field schemas every
 * view uses, and the message records and conversation that order and customer views both show.
 */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { MESSAGE_KINDS } from '../messages/kinds';
import type { MessageRecord } from '../workflows/delivery/contract';

/** Compile-time check that a schema's output is exactly the contract type, optional fields included. */
type Flat<T> = T extends (infer U)[] ? Flat<U>[] : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;
export type Exactly<A, B> =
  (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;
export type Assert<T extends true> = T;

export const channel = z.enum(CHANNELS);
export const iso = z.string();

export const links = z.record(z.string(), z.string()).describe('Where to look: the journey in the Temporal UI');

export const messageRecord = z.object({
  key: z.string(),
  kind: z.enum(MESSAGE_KINDS),
  purpose: z.enum(['transactional', 'marketing']),
  status: z.enum(['pending', 'waiting', 'sent', 'failed', 'skipped']),
  reason: z.string().optional(),
  channel: channel.optional(),
  attempts: z.array(
    z.object({
      channel,
      outcome: z.enum(['sent', 'failed']),
      providerMessageId: z.string().optional(),
      provider: z.string().optional(),
      error: z.string().optional(),
      at: iso,
    }),
  ),
  queuedAt: iso,
  variant: z.string().optional().describe("The A/B variant the customer got (the playbook's variant id)"),
});
export type _MessageRecordIsExact = Assert<Exactly<z.output<typeof messageRecord>, MessageRecord>>;

/** One message of the conversation with the customer (what they wrote, what went back). */
export const conversationEntry = z.object({
  at: iso,
  channel: z.enum(CHANNELS),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  orderId: z.string().optional(),
  outcome: z.enum(['answer', 'forwarded', 'acknowledged', 'recorded']).optional(),
  eventId: z.string().optional(),
});
