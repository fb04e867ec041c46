/**
 * The customer answers: the satisfaction update (from the survey page or the business's own
 * channel; a changed answer replaces the first until the journey acts) and review-link clicks.
 * Workflow code: deterministic.
 */
import { ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import {
  JourneyErrorType,
  reviewClickedSignal,
  submitFeedbackUpdate,
  type FeedbackInput,
  type Order,
  type OrderJourneyState,
} from './contract';

const MAX_REVIEW_CLICKS = 20;

export interface Answers {
  /** Grows with every answer, so the journey can wait for a changed one. */
  version(): number;
  /** Whether an answer would be taken now (the order is completed and the journey has not acted on one). */
  isOpen(): boolean;
  /** Takes an answer exactly as the submitFeedback update does (a reply "5" by SMS); check isOpen() first. */
  take(input: FeedbackInput): { accepted: true; replaced: boolean };
  /** The journey acted on the answer: no more answers are taken. */
  close(): void;
}

export function handleAnswers(order: Order, state: OrderJourneyState, now: () => string): Answers {
  let open = true;
  let version = 0;
  const take = (input: FeedbackInput) => {
    const replaced = state.feedback !== undefined;
    state.feedback = { ...input, at: now() };
    version += 1;
    log.info('feedback received', { rating: input.rating, replaced });
    return { accepted: true as const, replaced };
  };
  setHandler(submitFeedbackUpdate, take, {
    description:
      "The customer's satisfaction answer (1-5 and a comment); replaces an earlier one until the journey acts.",
    validator: (_input) => {
      if (state.status !== 'completed' || !open) {
        throw ApplicationFailure.nonRetryable(
          state.status !== 'completed'
            ? `order ${order.orderId} is not completed yet; ask for feedback once it is`
            : `the survey for order ${order.orderId} is closed; the journey has acted on the answer`,
          JourneyErrorType.feedbackClosed,
        );
      }
    },
  });
  setHandler(reviewClickedSignal, ({ eventId, at }) => {
    // Bounded: the clicks say the customer went to review; a link hammered from many places adds no state.
    if (state.reviewClicks.length >= MAX_REVIEW_CLICKS) return;
    if (!state.reviewClicks.some((c) => c.eventId === eventId)) state.reviewClicks.push({ eventId, at });
  });
  return {
    version: () => version,
    isOpen: () => open && state.status === 'completed',
    take,
    close: () => {
      open = false;
    },
  };
}
