import { z } from 'zod';

/**
 * What a Telegram update must look like before the bot sees it: the parts telegraf's routing and our handlers read
 * (a message's chat, ids, time, text and command entities; a button tap; a membership change), each of the type the
 * Bot API documents. Anything else in the update passes through untouched. Telegram never sends an update that fails
 * this; one that does is answered 400 rather than crashing a handler into a 500 (found by the fuzz drill).
 */
const MAX_UNIX_S = 253_402_300_799; // 9999-12-31T23:59:59Z: a later time is no Date
const int = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const unixTime = z.number().int().min(0).max(MAX_UNIX_S);
const chat = z.looseObject({ id: int, type: z.string() });
const user = z.looseObject({ id: int, is_bot: z.boolean().optional(), language_code: z.string().optional() });
const entity = z.looseObject({ type: z.string(), offset: int.nonnegative(), length: int.nonnegative() });
const message = z.looseObject({
  message_id: int,
  date: unixTime,
  chat,
  from: user.optional(),
  text: z.string().optional(),
  entities: z.array(entity).optional(),
  reply_to_message: z.looseObject({ message_id: int }).optional(),
});

export const telegramUpdateSchema = z.looseObject({
  update_id: int.nonnegative(),
  message: message.optional(),
  callback_query: z
    .looseObject({ id: z.string(), from: user, data: z.string().optional(), message: message.optional() })
    .optional(),
  my_chat_member: z
    .looseObject({
      chat,
      from: user,
      date: unixTime,
      new_chat_member: z.looseObject({ status: z.string() }),
    })
    .optional(),
});
