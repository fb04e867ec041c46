/** Telegram deep links (`https://t.me/<bot>?start=<payload>`): Telegram's format, whichever library runs the bot. */

const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;
// Telegram usernames: 5–32 chars of [A-Za-z0-9_]; bot usernames must end in "bot".
const BOT_USERNAME = /^(?=.{5,32}$)[A-Za-z][A-Za-z0-9_]*bot$/i;

/** Whether `payload` can be carried in a `?start=` deep link (1–64 chars of [A-Za-z0-9_-]). */
export function isValidStartPayload(payload: string): boolean {
  return START_PAYLOAD.test(payload);
}

/**
 * `https://t.me/<bot>?start=<payload>`: opening it and pressing Start sends `/start <payload>` to the bot, which
 * links the chat to whoever the payload identifies. Use a random one-time token, never a customer id.
 */
export function telegramDeepLink(botUsername: string, payload: string): string {
  const username = botUsername.replace(/^@/, '');
  if (!BOT_USERNAME.test(username)) throw new RangeError('telegramDeepLink: not a valid bot username');
  if (!isValidStartPayload(payload)) {
    throw new RangeError('telegramDeepLink: payload must be 1-64 characters of A-Z, a-z, 0-9, _ and -');
  }
  return `https://t.me/${username}?start=${payload}`;
}
