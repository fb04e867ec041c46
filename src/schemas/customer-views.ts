/** Response schemas of the customer routes: the customer, their consent, and what an erasure removed. */
import { z } from 'zod';
import { SWITCHABLE_TOPICS } from '../messages/topics';
import type { CustomerLifecycleState } from '../workflows/customer/contract';
import { channel, conversationEntry, iso, links, messageRecord, type Assert, type Exactly } from './view-fields';

const mark = z.object({ reason: z.string(), source: z.string(), at: iso });
/** What the customer said and what delivery taught us, per channel: no contact addresses, no bookkeeping. */
const consentView = z.object({
  marketing: z.object({ granted: z.boolean().nullable(), source: z.string().optional(), at: iso.optional() }),
  /** The customer withdrew consent for every message on every channel. */
  stopped: z.object({ source: z.string(), at: iso }).optional(),
  channels: z.partialRecord(
    channel,
    z.object({ blocked: mark.optional(), marketingSuppressed: mark.optional(), lastProblem: mark.optional() }),
  ),
  /** Marketing held by an operator until a time or a resume (the customer's own pause: preferences.pausedUntil). */
  marketingPaused: z.object({ until: iso.optional(), reason: z.string(), source: z.string(), at: iso }).optional(),
  /** What the customer chose on their preferences page. */
  preferences: z
    .object({
      channels: z.array(channel).optional(),
      off: z.array(channel).optional(),
      topicsOff: z.array(z.enum(SWITCHABLE_TOPICS)).optional(),
      locale: z.string().optional(),
      /** The customer's own marketing pause, until then. */
      pausedUntil: iso.optional(),
      source: z.string(),
      at: iso,
    })
    .optional(),
});
export type ConsentView = z.output<typeof consentView>;

/**
 * A customer as the business sees them: the profile they gave, orders, consent, loyalty, value, answers,
 * offers, win-back and the lifecycle's own messages. Not the frozen playbook, the permits with their
 * addresses, contact keys or replay bookkeeping: those are the lifecycle's, not the caller's.
 */
const customerState = z.object({
  customerId: z.string(),
  profile: z
    .object({
      id: z.string(),
      name: z.string(),
      email: z.string().optional(),
      phone: z.string().optional(),
      telegramChatId: z.string().optional(),
      locale: z.string().optional(),
      timeZone: z.string().optional(),
      preferredChannels: z.array(channel).optional(),
      marketingConsent: z.boolean().optional(),
    })
    .nullable(),
  orders: z.array(
    z.object({
      orderId: z.string(),
      placedAt: iso,
      currency: z.string(),
      totalMinor: z.number(),
      status: z.enum(['active', 'completed', 'cancelled']),
      cancelledAt: iso.optional(),
      completedAt: iso.optional(),
    }),
  ),
  consent: consentView,
  firstSeenAt: iso.optional(),
  lastOrderAt: iso.optional(),
  notes: z.string().optional(),
  loyalty: z
    .object({
      completedOrders: z.number(),
      spendMinor: z.number(),
      cashbackBalanceMinor: z.number(),
      currency: z.string().optional(),
      tier: z.string().optional(),
      tierSince: iso.optional(),
    })
    .optional(),
  value: z
    .object({
      recency: z.number(),
      frequency: z.number(),
      monetary: z.number(),
      score: z.string(),
      segment: z.string(),
      at: iso,
    })
    .optional(),
  feedback: z
    .array(z.object({ orderId: z.string(), rating: z.number(), comment: z.string().optional(), at: iso }))
    .optional(),
  offersIssued: z
    .array(
      z.object({
        code: z.string(),
        orderId: z.string(),
        expiresAt: iso,
        usedByOrderId: z.string().optional(),
        variant: z.string().optional(),
      }),
    )
    .optional(),
  winback: z
    .object({
      attempts: z.array(
        z.object({
          attempt: z.union([z.literal(1), z.literal(2)]),
          at: iso,
          code: z.string(),
          forLastOrderAt: iso,
          status: z.enum(['pending', 'sent', 'skipped', 'failed']),
          variant: z.string().optional(),
        }),
      ),
      converted: z.array(z.object({ orderId: z.string(), at: iso, attempt: z.number() })),
    })
    .optional(),
  messages: z.array(messageRecord).optional(),
  /** What the customer wrote back (SMS, Telegram, WhatsApp) and what went back; bounded. */
  conversation: z.array(conversationEntry).optional(),
  /** The questionnaire for regulars: when they were invited, their answers (by question id) and greetings sent. */
  questionnaire: z
    .object({
      invitedAt: iso.optional(),
      answers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
      answeredAt: iso.optional(),
      greeted: z.array(z.string()).optional(),
    })
    .optional(),
});
export type CustomerView = z.output<typeof customerState>;
/** Every field of the view (but those it trims) is the lifecycle's own field, with the same type. */
type Trimmed = 'consent' | 'orders' | 'questionnaire';
export type _CustomerViewIsState = Assert<
  Exactly<Omit<CustomerView, Trimmed>, Pick<CustomerLifecycleState, Exclude<keyof CustomerView, Trimmed>>>
>;

export const customerView = customerState.extend({ workflowId: z.string(), links });
export const customerUpdateResponse = customerState;
export const consentResponse = z.object({ customerId: z.string(), consent: consentView });
/** What an erasure removed (the same shape, with nothing in it, when it is repeated). */
export const erasureResponse = z.object({
  customerId: z.string(),
  orders: z.array(z.string()),
  lifecycleRuns: z.number().int(),
  outboxRecords: z.number().int(),
  visibilityCleared: z.boolean(),
});
export type ErasureView = z.output<typeof erasureResponse>;
