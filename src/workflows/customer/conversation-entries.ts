/**
 * The conversation's bounds, shared by the journey's record, the lifecycle's and the API's reply router: at most
 * MAX_CONVERSATION entries, each text at most MAX_CONVERSATION_TEXT characters. Pure: workflows and the API use it.
 */
import { MAX_CONVERSATION, MAX_CONVERSATION_TEXT, type ConversationEntry } from './contract';

/** The text as kept: at most MAX_CONVERSATION_TEXT characters (whole code points), "…" where it was cut. */
export function clipText(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_CONVERSATION_TEXT ? text : `${chars.slice(0, MAX_CONVERSATION_TEXT - 1).join('')}…`;
}

/** The conversation with one more entry (its text clipped), keeping the latest MAX_CONVERSATION. */
export function appended(list: ConversationEntry[] | undefined, entry: ConversationEntry): ConversationEntry[] {
  return [...(list ?? []), { ...entry, text: clipText(entry.text) }].slice(-MAX_CONVERSATION);
}

/** The customer's phone, else their email: how the business gets back to them (it goes to the business only). */
export const contactOf = (who: { phone?: string; email?: string }): { contact?: string } => {
  const contact = who.phone ?? who.email;
  return contact ? { contact } : {};
};
