import { z } from 'zod';
import { parseDuration } from './duration';
import { duration } from './fields';
import { localizedText } from './texts';

/** The playbook's customer-value sections: loyalty tiers and cashback, RFM scoring, win-back (schema.ts). */

export const loyaltySchema = z.object({
  tiers: z
    .array(
      z
        .object({
          id: z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, 'must be lower_snake_case'),
          label: localizedText,
          minOrders: z.number().int().min(1).optional(),
          /** Lifetime spend in minor units (cents) of the business's currency. */
          minSpendMinor: z.number().int().min(1).optional(),
          discountPercent: z.number().min(0).max(50),
        })
        .refine((t) => t.minOrders !== undefined || t.minSpendMinor !== undefined, {
          message: 'a tier needs minOrders or minSpendMinor',
        }),
    )
    .default([]),
  /** Percent of each completed order credited to the next one (0 for none). */
  cashbackPercent: z.number().min(0).max(50).default(5),
});

export const rfmSchema = z.object({
  recencyDays: z.array(z.number().int().positive()).length(4).default([30, 90, 180, 365]),
  frequencyOrders: z.array(z.number().int().positive()).length(4).default([2, 3, 5, 10]),
  monetaryMinor: z.array(z.number().int().positive()).length(4).default([5_000, 20_000, 50_000, 100_000]),
});

export const winbackSchema = z.object({
  after: duration.default(parseDuration('90 days')!),
  secondAfter: duration.default(parseDuration('30 days')!),
  discountPercent: z.number().min(1).max(90).default(15),
  validFor: duration.default(parseDuration('30 days')!),
  /** An order within this time of a win-back message counts as won back. */
  attributionWindow: duration.default(parseDuration('30 days')!),
});
