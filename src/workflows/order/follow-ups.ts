/**
 * After the thank-you: the satisfaction survey, then a review request (satisfied) or care and an
 * operator alert (unhappy), the cross-sell offer, the referral ask and a check-in before each
 * warranty ends. Each runs only when the journey's frozen playbook has it, so journeys started
 * before a follow-up existed replay unchanged. Workflow code: deterministic.
 */
import { variantFor } from '../../messages/variants';
import { formatDuration } from '../../playbook/duration';
import { CODE_FORMATS, personalCode } from '../codes';
import type { FollowUpStatus } from './contract';
import type { Journey } from './context';
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
  warrantyCheckIns,
  warrantyMessage,
} from './follow-up-plan';
import { notifyOperator } from './operator';

export async function runFollowUps(j: Journey): Promise<void> {
  const { survey, review, offer, warranty } = j.playbook.followUps;
  if (survey) await runSurvey(j, survey);
  if (offer) await runOffer(j, offer);
  const { feedback } = j.state;
  if (review?.referralAfter && feedback && survey && feedback.rating >= survey.satisfiedAt) {
    await runReferral(j, review.referralAfter, review.referralRewardPercent);
  }
  // The customer's lifecycle may count the win-back from here (warranty check-ins come months later).
  if (j.customer.lean && j.operatorTools) await j.customer.tell({ followUpsDoneAt: j.now() });
  if (warranty) await runWarrantyCheckIns(j, warranty);
}

type FollowUps = Journey['playbook']['followUps'];

function plan(j: Journey, key: string, what: string, at: Date): void {
  j.state.followUps.push({ key, what, at: at.toISOString(), status: 'scheduled' });
}

function mark(j: Journey, key: string, status: FollowUpStatus): void {
  const entry = j.state.followUps.find((f) => f.key === key);
  if (entry) Object.assign(entry, { status, doneAt: j.now() });
}

const inFuture = (ms: number) => new Date(Date.now() + ms);

async function runSurvey(j: Journey, survey: NonNullable<FollowUps['survey']>): Promise<void> {
  const { order, state, view } = j;
  const answered = () => state.feedback !== undefined;
  plan(j, 'survey', 'satisfaction survey', inFuture(survey.after));
  view.show(
    'survey',
    `the satisfaction survey (${formatDuration(survey.after)} after the thank-you)`,
    inFuture(survey.after),
  );
  // The business may already have sent the customer's answer itself: then no survey is needed.
  if (j.customer.lean) await j.beforeWait(survey.after);
  if (!(await j.ops.wait(survey.after, 'wait before the satisfaction survey', answered))) {
    const linkExpiresAt = new Date(Date.now() + surveyLinkValidFor(survey)).toISOString();
    await j.deliver(surveyMessage(order, linkExpiresAt));
    view.show('survey-answer', "the customer's answer to the survey", inFuture(survey.reminderAfter));
    if (!(await j.ops.wait(survey.reminderAfter, "the customer's answer to the survey", answered))) {
      await j.deliver(surveyReminderMessage(order, linkExpiresAt));
      const rest = surveyWaitAfterReminder(survey);
      view.show('survey-answer', "the customer's answer after the reminder", inFuture(rest));
      await j.ops.wait(rest, "the customer's answer after the survey reminder", answered);
    }
  }
  // A changed answer replaces the first until the journey acts on it.
  while (state.feedback) {
    const seen = j.answers.version();
    view.show('answer-change', 'a changed answer, if any', inFuture(survey.changeWindow));
    const changed = () => j.answers.version() !== seen;
    if (!(await j.ops.wait(survey.changeWindow, 'a changed survey answer, if any', changed))) break;
  }
  j.answers.close();
  mark(j, 'survey', state.feedback ? 'answered' : 'no-answer');
  const feedback = state.feedback;
  if (!feedback) return;

  // Remember the answer with the customer (a lean journey's next permit request carries it), and count it.
  if (j.customer.lean) {
    const { rating, comment, source, at } = feedback;
    await j.customer.tell({ feedback: { rating, ...(comment ? { comment } : {}), source: source ?? 'survey', at } });
  } else {
    await j.customer.report({
      type: 'feedback',
      orderId: order.orderId,
      rating: feedback.rating,
      ...(feedback.comment ? { comment: feedback.comment } : {}),
      source: feedback.source ?? 'survey',
      eventId: `${j.workflowId}/feedback`,
      at: feedback.at,
    });
  }
  // An answer counts for the A/B variant of the survey message the customer got (none: the business sent it).
  const surveyVariant = state.messages.find((m) => m.kind === 'survey' && m.variant)?.variant;
  await j.counter.count({
    kind: 'survey',
    metric: 'answered',
    key: 'survey-answered',
    ...(surveyVariant ? { variant: surveyVariant } : {}),
  });

  if (feedback.rating >= survey.satisfiedAt) {
    const review = j.playbook.followUps.review;
    if (review) await j.deliver(reviewMessage(order, feedback, review.url));
  } else {
    // Care for the unhappy first: a personal note to them, and a person at the business alerted.
    await j.deliver(careMessage(order, feedback));
    // ...and a person at the business hears about it at once.
    await notifyOperator(j, 'operator-alert', operatorAlert(order, feedback), j.customer.lean);
  }
}

/**
 * Customers rarely know everything a business does: after the thank-you, the rest of the catalogue
 * with a personal code (unique per offer, so a later order can be attributed to it).
 */
async function runOffer(j: Journey, offer: NonNullable<FollowUps['offer']>): Promise<void> {
  const { order, state } = j;
  plan(j, 'offer', 'cross-sell offer', inFuture(offer.after));
  j.view.show(
    'offer',
    `the cross-sell offer (${formatDuration(offer.after)} after the thank-you)`,
    inFuture(offer.after),
  );
  if (j.customer.lean) await j.beforeWait(offer.after);
  await j.ops.wait(offer.after, 'wait before the cross-sell offer');
  const code = personalCode(j.playbook.brand.name, CODE_FORMATS.offer);
  const expiresAt = new Date(Date.now() + offer.validFor).toISOString();
  state.offer = { code, discountPercent: offer.discountPercent, expiresAt };
  // A lean journey's offer permit request carries the code: the lifecycle attributes a later order with it (and to
  // the offer's A/B variant, the same pure choice the delivery makes).
  if (j.customer.lean) {
    const variant = variantFor(j.playbook, 'offer', order.customer.id)?.id;
    await j.customer.tell({ offer: { code, expiresAt, at: j.now(), ...(variant ? { variant } : {}) } });
  }
  const record = await j.deliver(offerMessage(order, offer, code, expiresAt));
  if (record.status === 'sent' && !j.customer.lean) {
    // The lifecycle attributes a later order that carries this code to the offer.
    await j.customer.report({
      type: 'offer-issued',
      code,
      orderId: order.orderId,
      expiresAt,
      ...(record.variant ? { variant: record.variant } : {}),
      source: `journey:${j.workflowId}`,
      eventId: `${j.workflowId}/offer-issued`,
      at: j.now(),
    });
  }
  mark(j, 'offer', 'done');
}

async function runReferral(j: Journey, after: number, rewardPercent: number): Promise<void> {
  plan(j, 'referral', 'referral ask', inFuture(after));
  j.view.show('referral', 'the referral ask', inFuture(after));
  if (j.customer.lean) await j.beforeWait(after);
  await j.ops.wait(after, 'wait before the referral ask');
  const code = personalCode(j.playbook.brand.name, CODE_FORMATS.referral);
  j.state.referralCode = code;
  await j.deliver(referralMessage(j.order, code, rewardPercent));
  mark(j, 'referral', 'done');
}

/**
 * Come back when the warranty ends: one timer per distinct end date, months or years long. A
 * sleeping journey costs one timer and no history growth.
 */
async function runWarrantyCheckIns(j: Journey, warranty: NonNullable<FollowUps['warranty']>): Promise<void> {
  const completedAt = Date.parse(j.state.completedAt!);
  const checkIns = warrantyCheckIns(completedAt, j.order.items, warranty.leadTime);
  const review = j.playbook.followUps.review;
  for (const c of checkIns) plan(j, c.key, `warranty check-in: ${c.items.join(', ')}`, new Date(c.dueMs));
  for (const checkIn of checkIns) {
    const due = checkIn.dueMs;
    j.view.show(
      'warranty',
      `the warranty check-in for ${checkIn.items.join(', ')}`,
      new Date(Math.max(due, Date.now())),
    );
    if (due > Date.now()) {
      if (j.customer.lean) await j.beforeWait(due - Date.now());
      await j.ops.wait(due - Date.now(), `wait for the warranty check-in (${checkIn.items.join(', ')})`);
    }
    await j.deliver(warrantyMessage(j.order, checkIn, warranty, review, completedAt, Date.now()));
    mark(j, checkIn.key, 'done');
  }
}
