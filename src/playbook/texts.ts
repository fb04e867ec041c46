import { z } from 'zod';
import type { LocalizedText } from '../messages/localized';

/** A language tag, as locale files and customers name languages. */
export const localeTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as "en" or "bn"');

/** Either one text for every language, or one per language tag. */
export const localizedText = z.union([
  z.string().min(1),
  z.record(localeTag, z.string().min(1)),
]) satisfies z.ZodType<LocalizedText>;
