import { z } from 'zod';
import { parseDuration } from './duration';
import { localizedText } from './texts';

/**
 * The playbook's questionnaire for regulars: what repeat customers are asked on their own page (interests,
 * occasions, likes and dislikes) and the greeting an occasion brings. Optional: without it nobody is invited.
 */

const id = z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, 'must be lower_snake_case, starting with a letter');

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write e.g. "30 days", "2 weeks"` });
    return z.NEVER;
  }
  return ms;
});

export const QUESTION_KINDS = ['choice', 'multi', 'text', 'date'] as const;

const questionSchema = z.object({
  id,
  /** choice: one option; multi: any of them; text: free text; date: a day of the year ("MM-DD" or a full date). */
  kind: z.enum(QUESTION_KINDS),
  label: localizedText,
  options: z
    .array(z.object({ id, label: localizedText }))
    .max(20, 'at most 20 options')
    .optional(),
  /** What the answer is for: its options' labels become {{interests}}; its date brings an occasion greeting. */
  use: z.enum(['interests', 'occasion']).optional(),
  /** An occasion's name in greetings ("birthday"): "Happy {{occasion}}"; default: the question's label. */
  occasionName: localizedText.optional(),
  /** text: the longest answer (default 200 characters). */
  maxLength: z.number().int().min(1).max(1000).optional(),
});

export const questionnaireSchema = z
  .object({
    /** The repeat-customer threshold: invited once, when this many of their orders have completed. */
    afterOrders: z.number().int().min(1).max(100).default(2),
    questions: z.array(questionSchema).min(1, 'needs at least one question').max(20, 'at most 20 questions'),
    /** Greetings on the occasions customers give, with a personal code (discountPercent 0: a greeting only). */
    occasion: z
      .object({
        discountPercent: z.number().min(0).max(90).default(10),
        validFor: duration.default(parseDuration('30 days')!),
        /** Local time in the customer's time zone. */
        sendAt: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as "10:00"')
          .default('10:00'),
        /** Days before the occasion the greeting goes (0: on the day). */
        leadDays: z.number().int().min(0).max(30).default(0),
        /** Days a date must be known before its day to be greeted that year (0: even on the day itself). */
        minNoticeDays: z.number().int().min(0).max(365).default(30),
      })
      .optional(),
  })
  .superRefine((q, ctx) => {
    const seen = new Set<string>();
    q.questions.forEach((question, i) => {
      const at = (...path: (string | number)[]) => ['questions', i, ...path];
      if (seen.has(question.id)) {
        ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate question "${question.id}"` });
      }
      seen.add(question.id);
      const hasOptions = (question.options?.length ?? 0) > 0;
      if ((question.kind === 'choice' || question.kind === 'multi') && !hasOptions) {
        ctx.addIssue({ code: 'custom', path: at('options'), message: `a ${question.kind} question needs options` });
      }
      if ((question.kind === 'text' || question.kind === 'date') && question.options) {
        ctx.addIssue({ code: 'custom', path: at('options'), message: `a ${question.kind} question has no options` });
      }
      const optionIds = new Set<string>();
      question.options?.forEach((option, j) => {
        if (optionIds.has(option.id)) {
          ctx.addIssue({ code: 'custom', path: at('options', j, 'id'), message: `duplicate option "${option.id}"` });
        }
        optionIds.add(option.id);
      });
      if (question.use === 'occasion' && question.kind !== 'date') {
        ctx.addIssue({ code: 'custom', path: at('use'), message: 'an occasion question must be of kind date' });
      }
      if (question.use === 'interests' && !hasOptions) {
        ctx.addIssue({ code: 'custom', path: at('use'), message: 'an interests question needs options' });
      }
      if (question.occasionName !== undefined && question.use !== 'occasion') {
        ctx.addIssue({ code: 'custom', path: at('occasionName'), message: "only for questions with use: 'occasion'" });
      }
      if (question.maxLength !== undefined && question.kind !== 'text') {
        ctx.addIssue({ code: 'custom', path: at('maxLength'), message: 'only for text questions' });
      }
    });
  });

export type QuestionnaireSettings = z.output<typeof questionnaireSchema>;
export type Question = QuestionnaireSettings['questions'][number];
