import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keywordOf, OPT_OUT_KEYWORDS, SMS_HELP_KEYWORDS, SMS_OPT_IN_KEYWORDS } from '../../channels/keywords';
import { first, problemOfStatus, verifyTwilioRequest } from '../../channels/sms/twilio/webhook';
import type { CustomerEvent } from '../../workflows/customer/contract';
import { type InboundContext, headerOf, unauthorized, keysOfContact } from './context';
import { recordForContact } from './sink';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Incoming SMS (STOP / START / HELP / anything else) and status callbacks (undelivered, failed), at `base`/inbound and
 * `base`/status: /webhooks/twilio for the deployment's account, /webhooks/twilio/<tenant> for a tenant's own.
 */
export function twilioWebhooks(
  app: FastifyInstance,
  ctx: InboundContext,
  authToken: string,
  base = '/webhooks/twilio',
): void {
  const { sink, routeOpts } = ctx;
  // Twilio signs the full URL it called: our public URL and the path.
  const verified = (request: FastifyRequest) =>
    verifyTwilioRequest(authToken, ctx.publicUrl + request.url, request.body, headerOf(request, 'x-twilio-signature'));
  // Empty TwiML: Twilio sends its own STOP/START confirmations.
  const twiml = (reply: FastifyReply) => reply.status(200).type('text/xml').send(EMPTY_TWIML);

  app.post(`${base}/inbound`, routeOpts, async (request, reply) => {
    const params = verified(request);
    if (!params) return unauthorized(reply, 'missing or invalid X-Twilio-Signature');
    const sid = first(params, 'MessageSid');
    const from = first(params, 'From');
    if (!sid || !from) return twiml(reply);
    const base = { source: 'sms', eventId: `twilio:${sid}`, at: ctx.at() };
    const body = first(params, 'Body');
    const word = keywordOf(body);
    const keys = keysOfContact(ctx.keys, 'sms', from);
    const keyword =
      word && (OPT_OUT_KEYWORDS.has(word) || SMS_OPT_IN_KEYWORDS.has(word) || SMS_HELP_KEYWORDS.has(word));
    if (ctx.replies && body?.trim() && !keyword) {
      // What they wrote goes to their order (or their profile): one inbound event, with the text, for the lifecycle.
      const { eventId, at } = base;
      const routed = await ctx.replies.route({ channel: 'sms', contactKeys: keys, text: body, eventId, at });
      request.log.info({ eventId: base.eventId, outcome: routed.outcome }, 'reply routed');
      return twiml(reply);
    }
    const event: CustomerEvent =
      word && OPT_OUT_KEYWORDS.has(word)
        ? { type: 'opt-out', channel: 'sms', scope: 'all', ...base }
        : word && SMS_OPT_IN_KEYWORDS.has(word)
          ? { type: 'opt-in', channel: 'sms', scope: 'all', ...base }
          : { type: 'inbound', channel: 'sms', ...base };
    await recordForContact(sink, request, keys, [event]);
    return twiml(reply);
  });

  app.post(`${base}/status`, routeOpts, async (request, reply) => {
    const params = verified(request);
    if (!params) return unauthorized(reply, 'missing or invalid X-Twilio-Signature');
    const sid = first(params, 'MessageSid');
    const status = first(params, 'MessageStatus');
    const to = first(params, 'To');
    if (!sid || !to || (status !== 'undelivered' && status !== 'failed')) return twiml(reply);
    const code = Number(first(params, 'ErrorCode'));
    await recordForContact(sink, request, keysOfContact(ctx.keys, 'sms', to), [
      {
        type: 'delivery-problem',
        channel: 'sms',
        problem: problemOfStatus(Number.isInteger(code) && code > 0 ? code : undefined),
        // Source 'sms' like STOP, so a later START undoes a 21610 opt-out too.
        source: 'sms',
        eventId: `twilio-status:${sid}:${status}`,
        at: ctx.at(),
      },
    ]);
    return twiml(reply);
  });
}
