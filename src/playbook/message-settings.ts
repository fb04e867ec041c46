/**
 * The playbook's `messages` section: per message kind, its own channel order and its A/B variants
 * (src/messages/variants.ts decides who gets which; docs/message-variants.md says how to use them).
 */
import { z } from 'zod';
import { CHANNELS } from '../channels/types';
import { MESSAGE_KINDS, type MessageKind } from '../messages/kind-names';
import { kindSpec } from '../messages/kinds';
import type { MessageVariant } from '../messages/variants';
import { localizedText } from './texts';

/**
 * One A/B variant of a message kind: its id (in records and stats), its weight, and the kind's strings it replaces
 * (each one text, or one per language tag; Handlebars with the kind's variables, checked at load). Strict: a
 * misspelt key would otherwise leave the variant reading like the default, and the test would compare nothing.
 */
const messageVariant = z.strictObject({
  id: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9_-]{0,29}$/,
      'must be lower-case letters, digits, "_" or "-" (up to 30), e.g. "a" or "short"',
    ),
  weight: z.number().int('must be a whole number').min(0).max(10_000),
  subject: localizedText.optional(),
  preheader: localizedText.optional(),
  heading: localizedText.optional(),
  /** The email's paragraphs: a blank line starts the next one. */
  body: localizedText.optional(),
  /** The whole message on SMS, WhatsApp and Telegram. */
  text: localizedText.optional(),
  cta: localizedText.optional(),
}) satisfies z.ZodType<MessageVariant>;

/** Per message kind: its own channel order (e.g. status by Telegram first, offers by email only), A/B variants. */
export const messagesSchema = z
  .partialRecord(
    z.enum(MESSAGE_KINDS),
    z.object({
      channels: z.array(z.enum(CHANNELS)).min(1).optional(),
      /** Names the A/B test: a new name deals every customer again. */
      experiment: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'must be letters, digits, ".", "_" or "-" (up to 40)')
        .optional(),
      /** Texts to compare: each customer gets one, by weight, always the same. */
      variants: z
        .array(messageVariant)
        .min(1, 'needs at least one variant')
        .max(10, 'at most 10 variants per kind')
        .optional(),
    }),
  )
  .default({});

/** A kind's variants make sense together: customers to read them, distinct ids, someone to get one. */
export function variantIssues(messages: z.output<typeof messagesSchema>, ctx: z.RefinementCtx): void {
  for (const [name, settings] of Object.entries(messages)) {
    const kind = name as MessageKind;
    const variants = settings?.variants;
    if (!variants) continue;
    const path = ['messages', kind, 'variants'];
    if (kindSpec(kind)?.toBusiness) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `"${kind}" goes to the business, not to customers: variants are for customer messages`,
      });
    }
    const ids = new Set<string>();
    variants.forEach((v, i) => {
      if (ids.has(v.id)) {
        ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate variant "${v.id}"` });
      }
      ids.add(v.id);
    });
    if (variants.every((v) => v.weight === 0)) {
      ctx.addIssue({ code: 'custom', path, message: 'every weight is 0: give at least one variant a weight above 0' });
    }
  }
}
