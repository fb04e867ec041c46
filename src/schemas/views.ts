/**
 * Response schemas of the /v1 routes: what callers get back, documented in the OpenAPI spec and
 * checked on the way out. Each one is pinned to the contract type it shows (`exactly`), so a field
 * added to a workflow's state without its schema fails to compile instead of vanishing from responses.
 */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { MESSAGE_KINDS } from '../messages/kinds';
import { SWITCHABLE_TOPICS } from '../messages/topics';
import { ISSUE_KINDS } from '../playbook/schema';
import type { CustomerLifecycleState } from '../workflows/customer/contract';
import type { MessageRecord } from '../workflows/delivery/contract';
import {
  OPERATOR_ACTIONS,
  STUCK_REASONS,
  type OrderJourneyState,
  type StageUpdateResult,
} from '../workflows/order/contract';
import { STAT_METRICS, type StatMetric } from '../workflows/stats/contract';

/** Compile-time check that a schema's output is exactly the contract type, optional fields included. */
type Flat<T> = T extends (infer U)[] ? Flat<U>[] : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;
type Exactly<A, B> = (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

const channel = z.enum(CHANNELS);
const iso = z.string();

export const links = z.record(z.string(), z.string()).describe('Where to look: the journey in the Temporal UI');

export const startOrderResponse = z.object({
  orderId: z.string(),
  workflowId: z.string(),
  /** False when the order already had a journey: the same journey is returned, none is started. */
  created: z.boolean(),
  links,
});

const journeyStatus = z.enum(['active', 'completed', 'cancelled']);

export const stageUpdateResponse = z.object({
  stage: z.string(),
  status: journeyStatus,
  messageKey: z.string().optional(),
  stale: z.boolean().optional(),
});
export type _StageUpdateIsExact = Assert<Exactly<z.output<typeof stageUpdateResponse>, StageUpdateResult>>;

export const feedbackResponse = z.object({ accepted: z.literal(true), replaced: z.boolean() });

export const refundResponse = z.object({
  orderId: z.string(),
  refundId: z.string(),
  applied: z.boolean(),
  refundedMinor: z.number(),
  messageKey: z.string().optional(),
});

export const cancelOrderResponse = z.object({
  orderId: z.string(),
  status: journeyStatus,
  alreadyCancelled: z.boolean(),
  messageKey: z.string().optional(),
});

const messageRecord = z.object({
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

const journeyState = z.object({
  orderId: z.string(),
  customerId: z.string(),
  status: journeyStatus,
  stage: z.string(),
  stages: z.array(z.string()),
  events: z.array(
    z.union([
      z.object({
        type: z.literal('stage'),
        stage: z.string(),
        note: z.string().optional(),
        eta: iso.optional(),
        at: iso,
      }),
      z.object({ type: z.enum(ISSUE_KINDS), reason: z.string(), eta: iso.optional(), at: iso }),
      z.object({ type: z.literal('cancelled'), reason: z.string(), source: z.string(), at: iso }),
      z.object({
        type: z.literal('operator'),
        action: z.enum(OPERATOR_ACTIONS),
        reason: z.string(),
        by: z.string().optional(),
        messageKey: z.string().optional(),
        outcome: z.string(),
        at: iso,
      }),
    ]),
  ),
  messages: z.array(messageRecord),
  next: z.object({ what: z.string(), until: iso.optional() }).nullable(),
  offer: z.object({ code: z.string(), discountPercent: z.number(), expiresAt: iso }).optional(),
  feedback: z
    .object({ rating: z.number(), comment: z.string().optional(), source: z.string().optional(), at: iso })
    .optional(),
  followUps: z.array(
    z.object({
      key: z.string(),
      what: z.string(),
      at: iso,
      status: z.enum(['scheduled', 'done', 'answered', 'no-answer', 'cancelled']),
      doneAt: iso.optional(),
    }),
  ),
  operatorAlerts: z.array(
    z.object({ channel: z.enum(['email', 'telegram']), outcome: z.enum(['sent', 'failed']), at: iso }),
  ),
  reviewClicks: z.array(z.object({ eventId: z.string(), at: iso })),
  referralCode: z.string().optional(),
  completedAt: iso.optional(),
  customer: z.object({ version: z.number(), stopped: z.boolean(), blocked: z.array(z.string()) }).optional(),
  stuck: z.object({ reason: z.enum(STUCK_REASONS), since: iso, detail: z.string(), remedy: z.string() }).optional(),
  cancelledAt: iso.optional(),
  cancellation: z.object({ reason: z.string(), source: z.string(), at: iso }).optional(),
  refunds: z
    .array(
      z.object({
        refundId: z.string(),
        kind: z.enum(['refund', 'return']),
        amountMinor: z.number(),
        source: z.string(),
        reason: z.string().optional(),
        at: iso,
      }),
    )
    .optional(),
  conversation: z.array(conversationEntry).optional(),
});
export type _JourneyStateIsExact = Assert<Exactly<z.output<typeof journeyState>, OrderJourneyState>>;

export const journeyView = journeyState.extend({ workflowId: z.string(), links });

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

const metricCounts = z.object(
  Object.fromEntries(STAT_METRICS.map((m) => [m, z.number()])) as Record<StatMetric, z.ZodNumber>,
);
export const statsView = z.object({
  /** Month ("2026-11") → kind → metric → count. */
  periods: z.record(z.string(), z.record(z.string(), metricCounts.partial())),
  totals: z.record(z.string(), metricCounts),
  /** (answered + converted) / sent, per kind. */
  responseRate: z.record(z.string(), z.number()),
  /**
   * Kinds with A/B variants: kind → variant → the counts of the messages of that variant (all months), and their
   * response rate. Only what names its variant is here: messages of kinds without variants, and older ones, are not.
   */
  variants: z
    .record(z.string(), z.record(z.string(), metricCounts.extend({ responseRate: z.number() })))
    .describe('kind → A/B variant → sent, answered, converted and (answered + converted) / sent'),
});
export type StatsView = z.output<typeof statsView>;
