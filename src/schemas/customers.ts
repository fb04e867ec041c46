/** Request schemas of the customer routes. */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import type { CustomerPatch } from '../workflows/customer/contract';
import { localeTag, timeZone } from './common';
import { customerInputSchema } from './orders';

export const customerPatchSchema = z
  .object({
    notes: z.string().trim().max(5000).optional(),
    preferredChannels: customerInputSchema.shape.preferredChannels,
    locale: localeTag.optional(),
    timeZone: timeZone.optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    message: 'give at least one field to change',
  }) satisfies z.ZodType<CustomerPatch>;

export const consentInputSchema = z.object({
  /** marketing: offers, reviews, win-back; all: every message on the channel. */
  purpose: z.enum(['marketing', 'all']),
  channel: z.union([z.enum(CHANNELS), z.literal('all')]).default('all'),
  granted: z.boolean(),
  /** Where the customer said so (shown in the customer's record). */
  source: z.string().trim().min(1).max(100).optional(),
  /** Makes a repeated call idempotent. */
  eventId: z.string().trim().min(1).max(200).optional(),
});
export type ConsentInput = z.input<typeof consentInputSchema>;
export type Consent = z.output<typeof consentInputSchema>;
