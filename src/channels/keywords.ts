/** Opt-out and opt-in keywords customers text to any channel; the provider's own defaults where it has them. */

// Twilio's default keywords (single word, any case); Twilio itself blocks/unblocks the number and replies.
export const OPT_OUT_KEYWORDS: ReadonlySet<string> = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
]);
// Twilio answers HELP and INFO with the number's help text itself: not a message for the business.
export const SMS_HELP_KEYWORDS: ReadonlySet<string> = new Set(['HELP', 'INFO']);
export const SMS_OPT_IN_KEYWORDS: ReadonlySet<string> = new Set(['START', 'YES', 'UNSTOP']);
// WhatsApp has no carrier keyword handling; "yes" is too common a reply there to mean "subscribe me again".
export const WHATSAPP_OPT_IN_KEYWORDS: ReadonlySet<string> = new Set(['START', 'UNSTOP']);

/** The single keyword a message consists of (upper-cased), if it is one word. */
export function keywordOf(text: string | undefined): string | undefined {
  const word = text?.trim().toUpperCase();
  return word && /^[A-Z]+$/.test(word) ? word : undefined;
}
