/**
 * Resend's inbound side: delivery events (bounces, complaints, suppressions) posted as Svix-signed
 * JSON (svix-id, svix-timestamp, svix-signature), and what each says about the address.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { safeEqualText } from '../../../lib/crypto';
import type { DeliveryProblem } from '../../errors';

/** Svix rejects timestamps further than this from now, both ways (replay window). */
const SVIX_TOLERANCE_MS = 5 * 60 * 1000;

/** The signing key of a `whsec_…` secret; throws on anything else, so a wrong setting fails at start. */
export function svixKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('resendWebhookSecret is not a whsec_… secret');
  return key;
}

/** Svix / Standard Webhooks: any `v1,<base64 HMAC-SHA256(key, id.timestamp.body)>` in the header matches. */
export function verifySvix(
  key: Buffer,
  id: string,
  timestamp: string,
  header: string,
  raw: Buffer,
  nowMs: number,
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > SVIX_TOLERANCE_MS) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(raw).digest('base64');
  return header
    .split(' ')
    .map((part) => part.split(','))
    .some(([version, signature]) => version === 'v1' && signature !== undefined && safeEqualText(signature, expected));
}

export const resendEventSchema = z.object({
  type: z.string(),
  data: z.object({
    to: z.union([z.array(z.string()), z.string()]).optional(),
    bounce: z.object({ type: z.string().optional() }).optional(),
  }),
});
export type ResendEvent = z.infer<typeof resendEventSchema>;

/** The address concerned and what the event says about it; undefined for events that say nothing (sent, opened). */
export function problemOfEvent(event: ResendEvent): { to: string; problem: DeliveryProblem } | undefined {
  const { type, data } = event;
  const problem: DeliveryProblem | undefined =
    type === 'email.bounced'
      ? data.bounce?.type === 'Permanent'
        ? 'hard-bounce'
        : 'soft-bounce'
      : type === 'email.complained'
        ? 'complaint'
        : type === 'email.suppressed'
          ? 'hard-bounce'
          : undefined;
  const to = Array.isArray(data.to) ? data.to[0] : data.to;
  return problem && to ? { to, problem } : undefined;
}
