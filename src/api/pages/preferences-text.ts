/**
 * What the customer's preferences page says, in English and Bengali. Kept here rather than in the locale files'
 * "pages" section: the page is a form with many small strings and plural-free templates, and these are functions.
 * Every string exists in both languages (the type makes a missing one a compile error).
 */
import type { Channel } from '../../channels/types';
import type { SwitchableTopic } from '../../messages/topics';
import type { Lang } from './survey-text';

export interface PreferencesText {
  title: (brand: string) => string;
  hello: (name: string) => string;
  intro: string;
  switchLanguage: string;
  channelsLegend: string;
  channelsHelp: string;
  channel: Record<Channel, string>;
  channelOn: string;
  position: string;
  topicsLegend: string;
  topic: Record<'order' | SwitchableTopic, string>;
  topicHelp: Record<'order' | SwitchableTopic, string>;
  orderLocked: string;
  orderIdle: string;
  languageLegend: string;
  pauseLegend: string;
  pauseKeep: string;
  pauseNone: string;
  pause30: string;
  pause90: string;
  pausedUntil: (date: string) => string;
  pausedByShop: (brand: string, date: string) => string;
  resume: string;
  save: string;
  stopOffersLegend: string;
  stopOffersHelp: string;
  stopOffers: string;
  offersStopped: string;
  saved: string;
  savedBody: string;
  change: string;
  on: string;
  off: string;
  stopped: string;
  stoppedBody: string;
  keepOneChannel: string;
  checkForm: string;
  invalid: string;
  invalidBody: string;
  expired: string;
  expiredBody: string;
  unknown: string;
  unknownBody: string;
  error: string;
  errorBody: string;
  unreadable: string;
  unreadableBody: string;
  questionnaire: string;
}

const en: PreferencesText = {
  title: (brand) => `Your messages from ${brand}`,
  hello: (name) => (name ? `Hi ${name},` : 'Hi,'),
  intro: 'Choose how we reach you and what about. Changes apply to every message from now on.',
  switchLanguage: 'Language of this page',
  channelsLegend: 'Where we reach you',
  channelsHelp: 'We use the first channel that is on, in the order you set.',
  channel: { email: 'Email', sms: 'SMS', whatsapp: 'WhatsApp', telegram: 'Telegram' },
  channelOn: 'On',
  position: 'Order',
  topicsLegend: 'What we write to you about',
  topic: { order: 'Order news', reviews: 'Reviews and surveys', offers: 'Offers', winback: 'We miss you' },
  topicHelp: {
    order: 'Updates about an order you placed.',
    reviews: 'How did we do? Rate your order, write a review.',
    offers: 'Discounts and news for regulars.',
    winback: 'A note and a code when we have not seen you for a while.',
  },
  orderLocked: 'Always on while an order is open: it tells you where your order is.',
  orderIdle: 'Only when you have an order with us.',
  languageLegend: 'Language of our messages',
  pauseLegend: 'Pause offers',
  pauseKeep: 'Keep as it is',
  pauseNone: 'No pause',
  pause30: 'Pause for 30 days',
  pause90: 'Pause for 90 days',
  pausedUntil: (date) => `Offers are paused until ${date}.`,
  pausedByShop: (brand, date) => `Offers are paused by ${brand}${date ? ` until ${date}` : ''}.`,
  resume: 'Resume offers now',
  save: 'Save my choices',
  stopOffersLegend: 'Stop all offers',
  stopOffersHelp: 'One click: no more offers, reviews or win-back notes. Order news still reaches you.',
  stopOffers: 'Stop all offers',
  offersStopped: 'You have stopped all offers. Order news still reaches you.',
  saved: 'Saved',
  savedBody: 'Your choices apply to every message from now on.',
  change: 'Change my choices',
  on: 'on',
  off: 'off',
  stopped: 'No more offers',
  stoppedBody: 'You will get no more offers. Updates about your orders will still reach you.',
  keepOneChannel: 'Please keep at least one channel on, so we can tell you about your orders.',
  checkForm: 'We could not read that form. Please check your choices and save again.',
  invalid: 'This link is not valid',
  invalidBody: 'Please open this page from a message we sent you, using the whole link.',
  expired: 'This link has expired',
  expiredBody: 'Every message we send has a fresh link: please use the one in a recent message.',
  unknown: 'We could not find your details',
  unknownBody: 'We may no longer keep them. If you still get messages, use the link in the newest one.',
  error: 'Something went wrong',
  errorBody: 'We could not save your choices just now. Please try again in a few minutes.',
  unreadable: 'We could not read your choices',
  unreadableBody: 'Please go back, check your choices and save again.',
  questionnaire: 'Tell us about yourself',
};

const bn: PreferencesText = {
  title: (brand) => `${brand} থেকে আপনার বার্তা`,
  hello: (name) => (name ? `প্রিয় ${name},` : 'নমস্কার,'),
  intro: 'কোথায় এবং কী বিষয়ে আমরা আপনাকে বার্তা পাঠাব, তা বেছে নিন। পরিবর্তন এখন থেকে প্রতিটি বার্তায় কার্যকর হবে।',
  switchLanguage: 'এই পাতার ভাষা',
  channelsLegend: 'আমরা কোথায় যোগাযোগ করব',
  channelsHelp: 'আপনার সাজানো ক্রমে, চালু থাকা প্রথম মাধ্যমটি আমরা ব্যবহার করি।',
  channel: { email: 'ইমেইল', sms: 'এসএমএস', whatsapp: 'হোয়াটসঅ্যাপ', telegram: 'টেলিগ্রাম' },
  channelOn: 'চালু',
  position: 'ক্রম',
  topicsLegend: 'কী বিষয়ে আমরা লিখব',
  topic: { order: 'অর্ডারের খবর', reviews: 'রিভিউ ও জরিপ', offers: 'অফার', winback: 'আপনাকে মনে পড়ছে' },
  topicHelp: {
    order: 'আপনার দেওয়া অর্ডারের আপডেট।',
    reviews: 'আমাদের সেবা কেমন লাগল? রেটিং ও রিভিউ।',
    offers: 'ছাড় ও নিয়মিত ক্রেতাদের জন্য খবর।',
    winback: 'অনেক দিন দেখা না হলে একটি বার্তা ও কোড।',
  },
  orderLocked: 'অর্ডার চলাকালীন সবসময় চালু থাকে: আপনার অর্ডার কোথায় আছে তা জানায়।',
  orderIdle: 'শুধু আপনার কোনো অর্ডার থাকলেই।',
  languageLegend: 'আমাদের বার্তার ভাষা',
  pauseLegend: 'অফার সাময়িক বন্ধ রাখুন',
  pauseKeep: 'যেমন আছে তেমনই থাক',
  pauseNone: 'বন্ধ রাখবেন না',
  pause30: '৩০ দিনের জন্য বন্ধ রাখুন',
  pause90: '৯০ দিনের জন্য বন্ধ রাখুন',
  pausedUntil: (date) => `${date} পর্যন্ত অফার বন্ধ আছে।`,
  pausedByShop: (brand, date) => `${brand} অফার বন্ধ রেখেছে${date ? ` (${date} পর্যন্ত)` : ''}।`,
  resume: 'এখনই অফার আবার চালু করুন',
  save: 'পছন্দগুলো সংরক্ষণ করুন',
  stopOffersLegend: 'সব অফার বন্ধ করুন',
  stopOffersHelp: 'এক ক্লিকে: আর কোনো অফার, রিভিউর অনুরোধ বা ফিরে আসার বার্তা নয়। অর্ডারের খবর আগের মতোই পাবেন।',
  stopOffers: 'সব অফার বন্ধ করুন',
  offersStopped: 'আপনি সব অফার বন্ধ করেছেন। অর্ডারের খবর আগের মতোই পাবেন।',
  saved: 'সংরক্ষিত হয়েছে',
  savedBody: 'আপনার পছন্দ এখন থেকে প্রতিটি বার্তায় কার্যকর হবে।',
  change: 'পছন্দ বদলান',
  on: 'চালু',
  off: 'বন্ধ',
  stopped: 'আর কোনো অফার নয়',
  stoppedBody: 'আপনি আর অফার পাবেন না; অর্ডারের আপডেট আগের মতোই পাবেন।',
  keepOneChannel: 'অনুগ্রহ করে অন্তত একটি মাধ্যম চালু রাখুন, যাতে অর্ডারের খবর জানাতে পারি।',
  checkForm: 'ফর্মটি পড়া যায়নি। পছন্দগুলো দেখে নিয়ে আবার সংরক্ষণ করুন।',
  invalid: 'এই লিংকটি সঠিক নয়',
  invalidBody: 'আমাদের পাঠানো বার্তা থেকে পুরো লিংকটি ব্যবহার করে এই পাতাটি খুলুন।',
  expired: 'এই লিংকটির মেয়াদ শেষ হয়ে গেছে',
  expiredBody: 'আমাদের প্রতিটি বার্তায় নতুন লিংক থাকে: সাম্প্রতিক কোনো বার্তার লিংক ব্যবহার করুন।',
  unknown: 'আপনার তথ্য খুঁজে পাওয়া যায়নি',
  unknownBody: 'হয়তো আমরা আর তা রাখি না। এখনও বার্তা পেলে, সবচেয়ে নতুন বার্তার লিংক ব্যবহার করুন।',
  error: 'কিছু একটা সমস্যা হয়েছে',
  errorBody: 'এই মুহূর্তে আপনার পছন্দ সংরক্ষণ করা যায়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।',
  unreadable: 'আপনার পছন্দগুলো পড়া যায়নি',
  unreadableBody: 'অনুগ্রহ করে আগের পাতায় ফিরে পছন্দগুলো দেখে নিয়ে আবার সংরক্ষণ করুন।',
  questionnaire: 'আপনার সম্পর্কে আমাদের জানান',
};

export const PREFERENCES_TEXT: Record<Lang, PreferencesText> = { en, bn };

/** Each language named in itself, for the language choices (a tag without a name shows as the tag). */
export const LANGUAGE_NAMES: Record<string, string> = { en: 'English', bn: 'বাংলা' };

/** A date the customer reads, in their page's language (the day only: a pause ends on a day). */
export function dayOf(iso: string, lang: Lang): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(lang === 'bn' ? 'bn-BD' : 'en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(
    date,
  );
}
