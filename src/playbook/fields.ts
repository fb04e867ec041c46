import { z } from 'zod';
import { parseDuration } from './duration';

/** Field types several playbook sections share (schema.ts and its sections). */

/** A duration in words ("3 days"), parsed to milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a duration; write e.g. "30s", "15m", "2h", "3 days", "2 weeks"`,
    });
    return z.NEVER;
  }
  return ms;
});

export const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as "21:00"');

export const stageId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower_snake_case, starting with a letter (e.g. "out_for_delivery")');
