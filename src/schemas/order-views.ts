/** Response schemas of the order routes: a start, a stage update, feedback, a refund, a cancellation, the journey. */
import { z } from 'zod';
import { ISSUE_KINDS } from '../playbook/schema';
import {
  OPERATOR_ACTIONS,
  STUCK_REASONS,
  type OrderJourneyState,
  type StageUpdateResult,
} from '../workflows/order/contract';
import { conversationEntry, iso, links, messageRecord, type Assert, type Exactly } from './view-fields';

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
