/**
 * The order journey (workflows/order/journey.ts, stages.ts, follow-ups.ts) played on virtual time for a journey
 * started today (the lean path, with operator tools): the same steps in the same order, each message built by the
 * journey's own functions (stageMessage, noticeMessage, follow-up-plan.ts) and each wait as long as the
 * journey's. Transactional messages are decided from the customer's snapshot, marketing ones by the lifecycle,
 * which hears the journey's news when the journey would send it.
 */
import type { IssueKind, Playbook } from '../playbook/schema';
import { CODE_FORMATS } from '../workflows/codes';
import { customerRulesOf, type CustomerSnapshot } from '../workflows/customer/contract';
import { decidePermit } from '../workflows/customer/permit';
import { consentOf } from '../workflows/customer/snapshot';
import type { JourneyNews, SendPermitRequest } from '../workflows/delivery/contract';
import type { Outgoing } from '../workflows/delivery/deliver';
import type { Order } from '../workflows/order/contract';
import {
  careMessage,
  offerMessage,
  operatorAlert,
  referralMessage,
  reviewMessage,
  surveyLinkValidFor,
  surveyMessage,
  surveyReminderMessage,
  surveyWaitAfterReminder,
  thankYouMessage,
  warrantyCheckIns,
  warrantyMessage,
} from '../workflows/order/follow-up-plan';
import { standingAfter } from '../workflows/order/lean-link';
import { noticeMessage, stageMessage } from '../workflows/order/stages';
import { settleBurst } from './burst-window';
import { planDelivery, type PlannedMessage, type PreviewDeliverer } from './delivery';
import type { LifecyclePlan } from './lifecycle';
import { placeholderCode } from './placeholders';
import { recipientOf, toTheBusiness } from './recipients';
import type { VirtualTime } from './virtual-time';

const DAY = 86_400_000;

/** A stage move or a notice, when the business reports it (checked against the playbook already). */
export interface StageEvent {
  stage: string;
  at: number;
  note?: string;
  reason?: string;
  eta?: string;
}

/** The customer's answer to the survey, some time after the survey reaches them. */
export interface SurveyAnswer {
  rating: number;
  comment?: string;
  afterMs: number;
}

export interface JourneyOutcome {
  completedAt?: number;
  /** When the answer was taken (undefined: none, or it came after the survey closed). */
  answeredAt?: number;
}

export async function playJourney(
  time: VirtualTime,
  j: {
    order: Order;
    playbook: Playbook;
    events: StageEvent[];
    answer?: SurveyAnswer;
    lifecycle: LifecyclePlan;
    out: PlannedMessage[];
  },
): Promise<JourneyOutcome> {
  const { order, playbook, lifecycle } = j;
  const outcome: JourneyOutcome = {};
  const snapshot: CustomerSnapshot = { version: 0, consent: lifecycle.state.consent };
  let pending: Omit<JourneyNews, 'orderId'> = {};
  const flush = () => {
    if (Object.keys(pending).length === 0) return;
    lifecycle.hear({ orderId: order.orderId, ...pending });
    pending = {};
  };

  // Transactional messages are decided from the snapshot; marketing asks the lifecycle, carrying the news.
  const deliverer: PreviewDeliverer = {
    from: 'order journey',
    playbook,
    customerId: order.customer.id,
    time,
    out: j.out,
    permit: (request) => {
      const ask: SendPermitRequest = { ...request, orderId: order.orderId, recipient: recipientOf(order) };
      if (request.purpose === 'marketing') {
        flush();
        return lifecycle.permit(ask);
      }
      const permit = decidePermit(consentOf(snapshot), order.customer, ask, customerRulesOf(playbook), time.now);
      return permit.decision === 'send' && request.kind === 'thank_you'
        ? { ...permit, loyalty: standingAfter(snapshot, order, playbook) }
        : permit;
    },
  };
  const deliver = (message: Outgoing) => planDelivery(deliverer, message);
  /** ops.wait: up to `ms`, or until `done` holds; true when it did. */
  const wait = async (ms: number, done?: () => boolean) => {
    if (done?.()) return true;
    if (ms > 0) await time.until(time.now + ms, done);
    return !!done?.();
  };
  /** A lean journey sends its news before a wait of a day or more. */
  const beforeWait = (ms: number) => {
    if (ms >= DAY) flush();
  };

  // --- stages: the business's updates arrive as the advanceStage handler takes them ------------------------
  const stages = playbook.stages;
  const queue: Outgoing[] = [];
  let stageIndex = 0;
  let completed = false;
  let issues = 0;
  if (stages[0]!.notify) queue.push(stageMessage(playbook, order, 0));
  time.spawn(async () => {
    for (const e of j.events) {
      await time.until(e.at);
      if (e.stage === 'delayed' || e.stage === 'problem') {
        issues += 1;
        queue.push(
          noticeMessage(playbook, order, stageIndex, e.stage as IssueKind, issues, (e.reason ?? e.note)!, e.eta),
        );
        continue;
      }
      stageIndex = stages.findIndex((s) => s.id === e.stage);
      if (stages[stageIndex]!.notify) queue.push(stageMessage(playbook, order, stageIndex, e.note, e.eta));
      if (stageIndex === stages.length - 1) {
        completed = true;
        outcome.completedAt = e.at;
      }
    }
  });

  for (;;) {
    while (queue.length > 0) {
      if (playbook.delays.stageBurstWindow > 0) await settleBurst(time, playbook.delays.stageBurstWindow, queue, j.out);
      await deliver(queue.shift()!);
    }
    if (completed) break;
    await time.until(Infinity, () => queue.length > 0 || completed);
  }
  const completedAt = outcome.completedAt!;
  pending.completedAt = new Date(completedAt).toISOString();
  flush();

  beforeWait(playbook.delays.thankYou);
  await wait(playbook.delays.thankYou);
  await deliver(thankYouMessage(order));

  // --- follow-ups, in runFollowUps' order -------------------------------------------------------------------
  const { survey, review, offer, warranty } = playbook.followUps;
  let feedback: { rating: number; comment?: string } | undefined;
  if (survey) {
    let open = true;
    let version = 0;
    const answered = () => feedback !== undefined;
    beforeWait(survey.after);
    if (!(await wait(survey.after, answered))) {
      const linkExpiresAt = new Date(time.now + surveyLinkValidFor(survey)).toISOString();
      const sent = await deliver(surveyMessage(order, linkExpiresAt));
      const answer = j.answer;
      if (answer && sent.channel) {
        // The customer answers on the survey page (an update the journey takes while the survey is open).
        time.spawn(async () => {
          await time.until(sent.at + answer.afterMs);
          if (!open) return;
          feedback = { rating: answer.rating, ...(answer.comment ? { comment: answer.comment } : {}) };
          version += 1;
          outcome.answeredAt = time.now;
        });
      }
      if (!(await wait(survey.reminderAfter, answered))) {
        await deliver(surveyReminderMessage(order, linkExpiresAt));
        await wait(surveyWaitAfterReminder(survey), answered);
      }
    }
    while (feedback) {
      const seen = version;
      if (!(await wait(survey.changeWindow, () => version !== seen))) break;
    }
    open = false;
    if (feedback) {
      const at = new Date(outcome.answeredAt!).toISOString();
      pending.feedback = {
        rating: feedback.rating,
        ...(feedback.comment ? { comment: feedback.comment } : {}),
        source: 'survey',
        at,
      };
    }
    if (feedback && feedback.rating >= survey.satisfiedAt) {
      if (review) await deliver(reviewMessage(order, feedback, review.url));
    } else if (feedback) {
      await deliver(careMessage(order, feedback));
      toTheBusiness(time, playbook, operatorAlert(order, feedback), j.out);
    }
  }
  if (offer) {
    beforeWait(offer.after);
    await wait(offer.after);
    const code = placeholderCode(playbook.brand.name, CODE_FORMATS.offer);
    const expiresAt = new Date(time.now + offer.validFor).toISOString();
    pending.offer = { code, expiresAt, at: new Date(time.now).toISOString() };
    await deliver(offerMessage(order, offer, code, expiresAt));
  }
  if (review?.referralAfter && feedback && survey && feedback.rating >= survey.satisfiedAt) {
    beforeWait(review.referralAfter);
    await wait(review.referralAfter);
    const code = placeholderCode(playbook.brand.name, CODE_FORMATS.referral);
    await deliver(referralMessage(order, code, review.referralRewardPercent));
  }
  pending.followUpsDoneAt = new Date(time.now).toISOString();
  if (warranty) {
    for (const checkIn of warrantyCheckIns(completedAt, order.items, warranty.leadTime)) {
      const due = checkIn.dueMs;
      if (due > time.now) {
        beforeWait(due - time.now);
        await wait(due - time.now);
      }
      await deliver(warrantyMessage(order, checkIn, warranty, review, completedAt, time.now));
    }
  }
  flush();
  return outcome;
}
