/**
 * What the questionnaire page says around the playbook's own questions, in each language it speaks. The questions
 * and their options come from the playbook (per language); these are the page's fixed texts.
 */
import type { Lang } from './survey-text';

export interface QuestionnaireText {
  title: string;
  hello: (name: string) => string;
  intro: (brand: string) => string;
  optional: string;
  month: string;
  day: string;
  months: string[];
  send: string;
  checkAnswers: string;
  thanks: string;
  thanksBody: (brand: string) => string;
  change: string;
  invalid: string;
  invalidBody: string;
  expired: string;
  expiredBody: string;
  none: string;
  noneBody: string;
  notYet: string;
  notYetBody: string;
  error: string;
  errorBody: string;
  otherLanguage: string;
}

export const QUESTIONNAIRE_TEXT: Record<Lang, QuestionnaireText> = {
  en: {
    title: 'A few questions',
    hello: (name) => `Hello ${name},`,
    intro: (brand) =>
      `Tell ${brand} a little about what you like, so we can serve you better. Every question is optional, and you can change your answers any time.`,
    optional: 'optional',
    month: 'Month',
    day: 'Day',
    months: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
    send: 'Save my answers',
    checkAnswers: 'Please check your answers',
    thanks: 'Thank you!',
    thanksBody: (brand) => `Your answers are saved. ${brand} will keep them in mind.`,
    change: 'Change my answers',
    invalid: 'This link is not valid',
    invalidBody: 'Please open the questionnaire from the message we sent you, using the whole link.',
    expired: 'This link has expired',
    expiredBody: 'The link in a newer message from us works.',
    none: 'No questions just now',
    noneBody: 'There is nothing to answer here at the moment.',
    notYet: 'Not yet',
    notYetBody:
      'These questions are for our regular customers. We will send you an invitation when they are open to you.',
    error: 'Something went wrong',
    errorBody: 'We could not save your answers just now. Please try again in a few minutes.',
    otherLanguage: 'বাংলায় দেখুন',
  },
  bn: {
    title: 'কয়েকটি প্রশ্ন',
    hello: (name) => `প্রিয় ${name},`,
    intro: (brand) =>
      `আপনি কী পছন্দ করেন তা ${brand}-কে একটু জানান, যাতে আমরা আপনাকে আরও ভালোভাবে সেবা দিতে পারি। প্রতিটি প্রশ্ন ঐচ্ছিক, আর উত্তরগুলো যেকোনো সময় বদলাতে পারবেন।`,
    optional: 'ঐচ্ছিক',
    month: 'মাস',
    day: 'দিন',
    months: [
      'জানুয়ারি',
      'ফেব্রুয়ারি',
      'মার্চ',
      'এপ্রিল',
      'মে',
      'জুন',
      'জুলাই',
      'আগস্ট',
      'সেপ্টেম্বর',
      'অক্টোবর',
      'নভেম্বর',
      'ডিসেম্বর',
    ],
    send: 'উত্তরগুলো সংরক্ষণ করুন',
    checkAnswers: 'অনুগ্রহ করে আপনার উত্তরগুলো দেখে নিন',
    thanks: 'ধন্যবাদ!',
    thanksBody: (brand) => `আপনার উত্তরগুলো সংরক্ষিত হয়েছে। ${brand} এগুলো মনে রাখবে।`,
    change: 'উত্তর বদলান',
    invalid: 'এই লিংকটি সঠিক নয়',
    invalidBody: 'আমাদের পাঠানো বার্তা থেকে পুরো লিংকটি ব্যবহার করে প্রশ্নগুলো খুলুন।',
    expired: 'এই লিংকের মেয়াদ শেষ হয়ে গেছে',
    expiredBody: 'আমাদের নতুন কোনো বার্তার লিংকটি কাজ করবে।',
    none: 'এখন কোনো প্রশ্ন নেই',
    noneBody: 'এই মুহূর্তে এখানে উত্তর দেওয়ার কিছু নেই।',
    notYet: 'এখনও নয়',
    notYetBody: 'এই প্রশ্নগুলো আমাদের নিয়মিত গ্রাহকদের জন্য। আপনার জন্য খুললে আমরা আপনাকে আমন্ত্রণ পাঠাব।',
    error: 'কিছু একটা সমস্যা হয়েছে',
    errorBody: 'এই মুহূর্তে আপনার উত্তর সংরক্ষণ করা যায়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।',
    otherLanguage: 'View in English',
  },
};
