/** Operator actions' bodies and answers (/v1/orders/{orderId}/actions/...): each needs a reason, for the record. */
import { z } from 'zod';
import { parseDuration } from '../playbook/duration';

const reason = z
  .string({ error: 'required: say why (it is kept in the journey’s events)' })
  .trim()
  .min(1, 'say why (it is kept in the journey’s events)')
  .max(300, 'keep it under 300 characters');
const future = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-12-24T09:00:00Z' });

/** "2h", "-30m", "3 days": a signed duration in milliseconds. */
const signedDuration = z.string().transform((text, ctx) => {
  const negative = text.trim().startsWith('-');
  const ms = parseDuration(text.trim().replace(/^[-+]/, ''));
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write e.g. "2h", "-30m" or "3 days"` });
    return z.NEVER;
  }
  return negative ? -ms : ms;
});

/** Who acts: their name or initials as the team knows them (kept with the action in the journey's events). */
const actedBy = z.string().trim().min(1).max(100).optional();

export const retryBody = z.object({ reason: reason.optional(), actedBy });
export const skipBody = z.object({ reason, actedBy });
export const resendBody = z.object({
  messageKey: z.string().regex(/^[a-z0-9_~-]{1,80}$/i, 'a message key from the order, such as "status-shipped"'),
  reason,
  actedBy,
});
export const waitBody = z
  .object({ until: future.optional(), by: signedDuration.optional(), reason, actedBy })
  .refine((b) => (b.until === undefined) !== (b.by === undefined), {
    message: 'give either "until" (a date-time) or "by" (e.g. "2h", "-30m")',
    path: ['until'],
  });
export const cancelBody = z.object({ reason, actedBy });
export const pauseMarketingBody = z
  .object({ until: future.optional(), for: signedDuration.optional(), reason })
  .refine((b) => !(b.until && b.for), { message: 'give "until" or "for", not both', path: ['for'] })
  .refine((b) => b.for === undefined || b.for > 0, { message: 'must be a positive duration', path: ['for'] });
export const resumeMarketingBody = z.object({ reason });

export const operatorActionResponse = z.object({
  orderId: z.string(),
  action: z.enum(['retry', 'skip', 'resend', 'change-wait', 'cancel', 'pause-marketing', 'resume-marketing']),
  outcome: z.string(),
  messageKey: z.string().optional(),
  customerId: z.string().optional(),
  links: z.record(z.string(), z.string()),
});

export const stuckListResponse = z.object({
  stuck: z.array(
    z.object({
      orderId: z.string(),
      workflowId: z.string(),
      reason: z.string(),
      since: z.string().optional(),
      links: z.record(z.string(), z.string()),
    }),
  ),
});
