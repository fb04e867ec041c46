/**
 * What each follow-up says and when it falls due, as pure functions: the journey (./follow-ups.ts, ./journey.ts)
 * builds its messages and times with them, and the preview (src/preview) plans with the very same ones, so the two
 * cannot drift apart. Deterministic: no clocks (callers pass times), no I/O.
 */
import type { Playbook } from '../../playbook/schema';
import { monthsBetween, warrantyGroups } from '../../rules/calendar';
import type { Outgoing } from '../delivery/deliver';
import type { Order } from './contract';

type FollowUps = Playbook['followUps'];
type Survey = NonNullable<FollowUps['survey']>;
type Feedback = { rating: number; comment?: string };

/** The thank-you, `delays.thankYou` after the order completes. */
export function thankYouMessage(order: Order): Outgoing {
  return {
    key: 'thank-you',
    kind: 'thank_you',
    data: { orderId: order.orderId, totalMinor: order.totalMinor, currency: order.currency },
  };
}

/** How long the survey's link works from when it is sent: the answer window, then the change window. */
export const surveyLinkValidFor = (survey: Survey): number => survey.window + survey.changeWindow;

/** After the reminder, how long an answer is still awaited (the rest of the window, at least a second). */
export const surveyWaitAfterReminder = (survey: Survey): number => Math.max(survey.window - survey.reminderAfter, 1000);

export function surveyMessage(order: Order, linkExpiresAt: string): Outgoing {
  return { key: 'survey', kind: 'survey', data: { orderId: order.orderId }, linkExpiresAt };
}

export function surveyReminderMessage(order: Order, linkExpiresAt: string): Outgoing {
  return { key: 'survey-reminder', kind: 'survey_reminder', data: { orderId: order.orderId }, linkExpiresAt };
}

/** A satisfied customer: the business's review page. */
export function reviewMessage(order: Order, feedback: Feedback, reviewUrl: string): Outgoing {
  return {
    key: 'review',
    kind: 'review_request',
    data: { orderId: order.orderId, feedback: { rating: feedback.rating }, reviewUrl },
  };
}

/** An unhappy customer: a personal note. */
export function careMessage(order: Order, feedback: Feedback): Outgoing {
  return {
    key: 'care',
    kind: 'care_followup',
    data: { orderId: order.orderId, feedback: { rating: feedback.rating, comment: feedback.comment } },
  };
}

/** ...and a person at the business hears of it (on every operator channel of the playbook). */
export function operatorAlert(order: Order, feedback: Feedback) {
  return {
    kind: 'operator_alert' as const,
    data: {
      orderId: order.orderId,
      feedback: { rating: feedback.rating, comment: feedback.comment },
      operator: { customerId: order.customer.id, customerName: order.customer.name },
    },
  };
}

/** The cross-sell offer with the customer's personal code, valid `offer.validFor` from when it goes. */
export function offerMessage(
  order: Order,
  offer: NonNullable<FollowUps['offer']>,
  code: string,
  expiresAt: string,
): Outgoing {
  return {
    key: 'offer',
    kind: 'offer',
    data: {
      orderId: order.orderId,
      offer: {
        code,
        discountPercent: offer.discountPercent,
        expiresAt,
        conditions: offer.conditions,
        services: offer.services,
      },
    },
  };
}

export function referralMessage(order: Order, code: string, rewardPercent: number): Outgoing {
  return {
    key: 'referral',
    kind: 'referral_request',
    data: { orderId: order.orderId, referral: { code, rewardPercent } },
  };
}

/** One check-in per distinct warranty end date, `leadTime` before it (it may be due at once). */
export interface WarrantyCheckIn {
  key: string;
  items: string[];
  endsAt: string;
  dueMs: number;
}

export function warrantyCheckIns(completedAtMs: number, items: Order['items'], leadTime: number): WarrantyCheckIn[] {
  return warrantyGroups(completedAtMs, items).map((g, i) => ({
    key: `warranty-${i + 1}`,
    items: g.items,
    endsAt: g.endsAt,
    dueMs: Date.parse(g.endsAt) - leadTime,
  }));
}

export function warrantyMessage(
  order: Order,
  checkIn: WarrantyCheckIn,
  warranty: NonNullable<FollowUps['warranty']>,
  review: FollowUps['review'],
  completedAtMs: number,
  nowMs: number,
): Outgoing {
  return {
    key: checkIn.key,
    kind: 'warranty_checkin',
    data: {
      orderId: order.orderId,
      warranty: {
        items: checkIn.items,
        endsAt: checkIn.endsAt,
        // How long the customer has really had it, at the time of the message (not the warranty's length).
        monthsOwned: monthsBetween(completedAtMs, nowMs),
        inspectionOffer: warranty.inspectionOffer,
      },
      ...(review ? { reviewUrl: review.url } : {}),
    },
  };
}
