import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { playbookSchema, type Playbook } from './schema';
import { formatZodIssues } from '../lib/validation';
import { variantTextProblems } from '../messages/variant-texts';

export class PlaybookError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Playbook ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PlaybookError';
  }
}

/** Reads a YAML or JSON playbook and validates it; errors name the bad field. */
export function loadPlaybook(file: string): Playbook {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PlaybookError(file, [(err as Error).message]);
  }
  return parsePlaybook(raw, file);
}

export function parsePlaybook(raw: unknown, file = '(inline)'): Playbook {
  const parsed = playbookSchema.safeParse(raw);
  if (!parsed.success) throw new PlaybookError(file, formatZodIssues(parsed.error));
  // A/B variants' texts are templates: checked like the locale files, so a typo stops the start, not a message.
  const problems = variantTextProblems(parsed.data.messages);
  if (problems.length > 0) throw new PlaybookError(file, problems);
  return parsed.data;
}
