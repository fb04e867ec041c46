import type { FastifyInstance } from 'fastify';
import { problemOfEvent, resendEventSchema, svixKey, verifySvix } from '../../channels/email/resend/webhook';
import { parseJson } from '../../lib/http';
import { badRequest, headerOf, type InboundContext, rawOf, unauthorized, keysOfContact } from './context';
import { recordForContact } from './sink';

/**
 * Bounces, complaints and suppressions from Resend (Svix-signed), at /webhooks/resend for the deployment's account
 * and /webhooks/resend/<tenant> for a tenant's own.
 */
export function resendWebhooks(
  app: FastifyInstance,
  ctx: InboundContext,
  webhookSecret: string,
  path = '/webhooks/resend',
): void {
  const key = svixKey(webhookSecret);
  app.post(path, ctx.routeOpts, async (request, reply) => {
    const raw = rawOf(request.body);
    const id = headerOf(request, 'svix-id');
    const timestamp = headerOf(request, 'svix-timestamp');
    const signature = headerOf(request, 'svix-signature');
    if (!id || !timestamp || !signature || !verifySvix(key, id, timestamp, signature, raw, ctx.now())) {
      return unauthorized(reply, 'missing, invalid or expired svix signature');
    }
    const event = resendEventSchema.safeParse(parseJson(raw));
    if (!event.success) return reply.status(400).send(badRequest('not a Resend webhook event'));
    const found = problemOfEvent(event.data);
    if (found) {
      await recordForContact(ctx.sink, request, keysOfContact(ctx.keys, 'email', found.to), [
        {
          type: 'delivery-problem',
          channel: 'email',
          problem: found.problem,
          source: 'resend',
          eventId: `resend:${id}`,
          at: ctx.at(),
        },
      ]);
    }
    return { ok: true };
  });
}
