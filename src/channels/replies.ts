/**
 * Answers by reply on text channels: reading a rating out of what a customer wrote back, and the one-tap rating
 * buttons (Telegram inline keyboard, WhatsApp list) whose ids name the order without revealing it. The strings the
 * buttons show come from the locale files (templates/locales, "pages.survey"), read once.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface Rating {
  rating: number;
  /** What they wrote after the rating and a separator ("5, fast delivery"), trimmed; absent when nothing. */
  comment?: string;
}

// Bengali digits (U+09E6..U+09EF) are one UTF-16 unit each, like ASCII digits: swapping them keeps every index.
const toAsciiDigits = (text: string) => text.replace(/[\u09E6-\u09EF]/g, (d) => String(d.charCodeAt(0) - 0x09e6));

const STAR = '(?:\u2B50\uFE0F?|\u2605)';
// After the digit: "/5", star signs (one, or as many as the digit says), "star(s)", or Bengali "তারা" (stars).
const SUFFIX = `(?:[^\\S\\n]*\\/[^\\S\\n]*5|[^\\S\\n]*((?:${STAR}[^\\S\\n]*){1,5})|[^\\S\\n]+stars?|[^\\S\\n]*\u09A4\u09BE\u09B0\u09BE)?`;
// Then nothing, or a separator (punctuation or a line break) and the comment. A bare space is no separator:
// "5 days late" is not a rating.
const SEPARATOR = '(?:[^\\S\\n]*(?:[.,:;!\\-\u2013\u2014]+|\\n)|$)';
const DIGIT_RATING = new RegExp(`^([1-5])${SUFFIX}${SEPARATOR}`, 'iu');
const STARS_ONLY = new RegExp(`^((?:${STAR}[^\\S\\n]*){1,5})${SEPARATOR}`, 'u');

const countStars = (text: string) => [...text.matchAll(new RegExp(STAR, 'gu'))].length;

/**
 * A reply that IS a rating: one digit 1-5 (ASCII or Bengali), optionally "/5", a star or "stars", then nothing or a
 * separator and a comment; or one to five star signs alone. Anything else is undefined: a message that only looks
 * like a rating ("5 days late", "12", "4.5", "5:30") goes to a person rather than into the scores.
 */
export function parseRating(text: string): Rating | undefined {
  const original = text.trim();
  const normalized = toAsciiDigits(original);
  let rating: number;
  let head: string;
  const digit = DIGIT_RATING.exec(normalized);
  if (digit) {
    rating = Number(digit[1]);
    head = digit[0];
    // "5 ⭐⭐⭐⭐⭐" agrees with itself; "1 ⭐⭐⭐⭐⭐" does not.
    const stars = digit[2] ? countStars(digit[2]) : 1;
    if (stars !== 1 && stars !== rating) return undefined;
  } else {
    const stars = STARS_ONLY.exec(normalized);
    if (!stars?.[1]) return undefined;
    rating = countStars(stars[1]);
    head = stars[0];
  }
  const comment = original.slice(head.length).trim();
  // "4.5", "1-5", "5:30", "3, 4": a number goes on, so this was not a rating.
  if (/^\d/.test(toAsciiDigits(comment))) return undefined;
  return comment ? { rating, comment } : { rating };
}

/**
 * The order a rating button is about, as a short keyed hash: the order id (and its tenant, other than the default
 * one) under the contacts key. It travels to the messenger and back, so it must not reveal the order; the reply
 * router recomputes it for the sender's orders to find which one it names.
 */
export function orderRef(contactsKey: string, orderId: string, tenant?: string): string {
  return createHmac('sha256', contactsKey)
    .update(`rating-order:${tenant ? `t:${tenant}:` : ''}${orderId}`)
    .digest('base64url')
    .slice(0, 12);
}

const BUTTON_ID = /^rate:([1-5]):([A-Za-z0-9_-]{8,43})$/;

/** "rate:<1-5>:<orderRef>", 19 bytes: within Telegram's 64-byte callback_data and WhatsApp's 200-character row id. */
export function ratingButtonId(rating: number, ref: string): string {
  const id = `rate:${rating}:${ref}`;
  if (!BUTTON_ID.test(id)) throw new RangeError('a rating button is 1-5 with an order reference');
  return id;
}

/** What a rating button's id carries, or undefined for any other id (a button of ours or not). */
export function readRatingButton(id: string): { rating: number; orderRef: string } | undefined {
  const match = BUTTON_ID.exec(id);
  return match?.[1] && match[2] ? { rating: Number(match[1]), orderRef: match[2] } : undefined;
}

/** WhatsApp's limits: a list row title 24 characters, the list's button 20. */
const MAX_TITLE = 24;
const MAX_LABEL = 20;

interface ReplyText {
  /** "5 stars: excellent", lowest first, as the survey page shows them. */
  stars: string[];
  /** The list's button ("Rate your order"). */
  label: string;
  /** The toast after a tap ("Thank you!"). */
  thanks: string;
}

const LOCALES_DIR = path.resolve(__dirname, '../../templates/locales');
const texts = new Map<string, ReplyText>();

function textOf(lang: 'en' | 'bn'): ReplyText {
  let text = texts.get(lang);
  if (!text) {
    const file = JSON.parse(readFileSync(path.join(LOCALES_DIR, `${lang}.json`), 'utf8')) as {
      pages: { survey: { stars: string[]; thanks: string } };
      kinds: { survey: { cta: string } };
    };
    const { stars, thanks } = file.pages.survey;
    if (stars.length !== 5) throw new Error(`templates/locales/${lang}.json: pages.survey.stars needs 5 strings`);
    text = { stars, thanks, label: file.kinds.survey.cta };
    texts.set(lang, text);
  }
  return text;
}

const langOf = (locale: string | undefined) => (locale?.toLowerCase().split(/[-_]/)[0] === 'bn' ? 'bn' : 'en');
const fit = (text: string, max: number) =>
  [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;

/** Five buttons, highest first, each carrying its rating and the order reference. */
export function ratingButtons(locale: string | undefined, ref: string): { id: string; title: string }[] {
  const { stars } = textOf(langOf(locale));
  return [5, 4, 3, 2, 1].map((rating) => ({
    id: ratingButtonId(rating, ref),
    title: fit(stars[rating - 1]!, MAX_TITLE),
  }));
}

/** The label of the button that opens the WhatsApp list ("Rate your order"). */
export function ratingListLabel(locale: string | undefined): string {
  return fit(textOf(langOf(locale)).label, MAX_LABEL);
}

/** The short toast a Telegram tap gets ("Thank you!"), in the language of the customer's Telegram app. */
export function ratingThanks(locale: string | undefined): string {
  return textOf(langOf(locale)).thanks;
}
