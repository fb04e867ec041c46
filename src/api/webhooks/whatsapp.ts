import type { FastifyInstance } from 'fastify';
import { keywordOf, OPT_OUT_KEYWORDS, WHATSAPP_OPT_IN_KEYWORDS } from '../../channels/keywords';
import { readRatingButton } from '../../channels/replies';
import {
  parseWebhookPayload,
  problemOfFailedStatus,
  verifySignature256,
  verifyWebhookChallenge,
} from '../../channels/whatsapp/cloud-api/webhook';
import { parseJson } from '../../lib/http';
import type { CustomerEvent } from '../../workflows/customer/contract';
import { badRequest, headerOf, type InboundContext, rawOf, unauthorized, keysOfContact } from './context';
import { recordForContact } from './sink';

/**
 * The subscription handshake, and messages (opening the 24-hour window; STOP / START; what the customer writes or
 * chooses goes to the reply router) and failed statuses.
 */
export function whatsappWebhooks(
  app: FastifyInstance,
  ctx: InboundContext,
  wa: { appSecret: string; verifyToken: string },
): void {
  app.get('/webhooks/whatsapp', ctx.routeOpts, async (request, reply) => {
    const challenge = verifyWebhookChallenge(request.query as Record<string, unknown>, wa.verifyToken);
    if (challenge === undefined) {
      return reply.status(403).send({ error: { code: 'forbidden', message: 'verify token does not match' } });
    }
    return reply
      .status(200)
      .type('text/plain; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .send(challenge);
  });

  app.post('/webhooks/whatsapp', ctx.routeOpts, async (request, reply) => {
    const raw = rawOf(request.body);
    if (!verifySignature256(raw, headerOf(request, 'x-hub-signature-256'), wa.appSecret)) {
      return unauthorized(reply, 'missing or invalid X-Hub-Signature-256');
    }
    const body = parseJson(raw);
    if (body === undefined) return reply.status(400).send(badRequest('body is not JSON'));
    let events;
    try {
      events = parseWebhookPayload(body);
    } catch {
      // Signed by Meta but another object type (page, instagram…): nothing for us, and no redelivery.
      return { ok: true };
    }
    for (const e of events) {
      if (e.type === 'message') {
        // The customer's time, as Meta reports it (Unix seconds): a late redelivery must not reorder STOP and START.
        const sent = Number(e.timestamp);
        const base = {
          source: 'whatsapp',
          at: Number.isFinite(sent) && sent > 0 ? new Date(sent * 1000).toISOString() : ctx.at(),
        };
        const contactKeys = keysOfContact(ctx.keys, 'whatsapp', `+${e.from}`);
        const word = keywordOf(e.text);
        const keyword = !!word && (OPT_OUT_KEYWORDS.has(word) || WHATSAPP_OPT_IN_KEYWORDS.has(word));
        if (ctx.replies && !keyword && (e.text !== undefined || e.buttonId !== undefined)) {
          // The router records it on the lifecycle as its inbound event (which opens the window): once, not twice.
          const button = e.buttonId === undefined ? undefined : readRatingButton(e.buttonId);
          const result = await ctx.replies.route({
            channel: 'whatsapp',
            contactKeys,
            text: e.text ?? '',
            eventId: `whatsapp:${e.id}`,
            at: base.at,
            ...(button ? { button } : {}),
            ...(e.replyTo ? { replyTo: e.replyTo } : {}),
          });
          request.log.info(
            {
              eventId: `whatsapp:${e.id}`,
              outcome: result.outcome,
              ...('orderId' in result ? { orderId: result.orderId } : {}),
            },
            'whatsapp reply routed',
          );
          continue;
        }
        // Any message opens the 24-hour window.
        const list: CustomerEvent[] = [{ type: 'inbound', channel: 'whatsapp', eventId: `whatsapp:${e.id}`, ...base }];
        if (word && OPT_OUT_KEYWORDS.has(word)) {
          list.push({
            type: 'opt-out',
            channel: 'whatsapp',
            scope: 'all',
            eventId: `whatsapp:${e.id}:opt-out`,
            ...base,
          });
        } else if (word && WHATSAPP_OPT_IN_KEYWORDS.has(word)) {
          list.push({ type: 'opt-in', channel: 'whatsapp', scope: 'all', eventId: `whatsapp:${e.id}:opt-in`, ...base });
        }
        await recordForContact(ctx.sink, request, contactKeys, list);
      } else if (e.status === 'failed') {
        await recordForContact(ctx.sink, request, keysOfContact(ctx.keys, 'whatsapp', `+${e.recipientId}`), [
          {
            type: 'delivery-problem',
            channel: 'whatsapp',
            problem: problemOfFailedStatus(e),
            source: 'whatsapp',
            eventId: `whatsapp:${e.id}:${e.status}`,
            at: ctx.at(),
          },
        ]);
      }
    }
    return { ok: true };
  });
}
