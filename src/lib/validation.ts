import type { z } from 'zod';

/** Zod issues as "field.path: what is wrong", the way every error in Aftercare names a field. */
export function formatZodIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? formatPath(i.path) : '(root)'}: ${i.message}`);
}

/** ["items", 0, "unitPrice"] → "items[0].unitPrice". */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}
