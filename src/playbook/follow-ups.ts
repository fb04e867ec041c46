import { z } from 'zod';
import { parseDuration } from './duration';
import { duration } from './fields';
import { localizedText } from './texts';

/** The playbook's follow-ups after an order completes: survey, review and referral, warranty, offer (schema.ts). */
export const followUpsSchema = z.object({
  /** Ask after every purchase: a rating page link, one reminder, then move on. Omit to skip. */
  survey: z
    .object({
      after: duration,
      reminderAfter: duration.default(parseDuration('3 days')!),
      /** How long the answer is awaited in all (from the survey message). */
      window: duration.default(parseDuration('7 days')!),
      /** After an answer, how long a changed answer still replaces it before the journey acts. */
      changeWindow: duration.default(parseDuration('15 minutes')!),
      /** Ratings from this value up count as satisfied. */
      satisfiedAt: z.number().int().min(1).max(5).default(4),
    })
    .optional(),
  /** Satisfied customers are asked for a review, and later for a referral. */
  review: z
    .object({
      url: z.url(),
      referralAfter: duration.optional(),
      referralRewardPercent: z.number().min(1).max(90).default(10),
    })
    .optional(),
  /** Check in shortly before each item's warranty ends (items with warrantyMonths). */
  warranty: z
    .object({ leadTime: duration.default(parseDuration('30 days')!), inspectionOffer: localizedText.optional() })
    .optional(),
  /** Cross-sell after completion: other services with a discount. Omit to send none. */
  offer: z
    .object({
      after: duration,
      discountPercent: z.number().min(1).max(90).default(10),
      validFor: duration.default(parseDuration('30 days')!),
      conditions: localizedText.optional(),
      services: z.array(z.object({ name: localizedText, price: z.string().optional() })).default([]),
    })
    .optional(),
});
