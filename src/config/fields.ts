import { z } from 'zod';

/** Field types the areas' variables share. Unset and blank are the same: no value. */
export const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
