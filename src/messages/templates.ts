/**
 * The locale files (templates/locales/<tag>.json), loaded and checked once at startup: every string a
 * message can need must be there, use only known variables, and print what its kind must print. A broken
 * file stops the worker with every problem listed, instead of failing messages later.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { extraKeysOf, kindSpec, MESSAGE_KINDS, type MessageKind } from './kinds';
import { COMMON_VARS, KIND_VARS, SAMPLE_FULL, SAMPLE_MIN, type TemplateVars } from './variables';

export type Template = (vars: TemplateVars) => string;

const COMMON_KEYS = [
  'greeting',
  'order',
  'stage',
  'expected',
  'newExpected',
  'footer',
  'support',
  'unsubscribe',
  'optOutReply',
  'optOutTelegram',
  'telegramLink',
  'preferences',
] as const;
export type CommonKey = (typeof COMMON_KEYS)[number];
const KIND_KEYS = ['subject', 'preheader', 'heading', 'text', 'cta'] as const;

/** The opt-out keywords are what the SMS provider and the Telegram bot act on: translators keep them verbatim. */
const REQUIRED_LITERALS: Record<string, string> = {
  'common.optOutReply': 'STOP',
  'common.optOutTelegram': '/stop',
};
const BLOCK_HELPERS: ReadonlySet<string> = new Set(['if', 'unless']);

export interface KindTemplates extends Record<(typeof KIND_KEYS)[number], Template> {
  paragraphs: Template[];
  /** The strings the kind's features add (code box labels, its own footer, …), by key. */
  extras: Readonly<Record<string, Template>>;
}
export interface LocaleBundle {
  common: Record<CommonKey, Template>;
  kinds: Record<MessageKind, KindTemplates>;
}

/** Every locale file in the directory, by language tag; en.json must be among them. */
export async function loadLocales(hb: typeof Handlebars, dir: string): Promise<Map<string, LocaleBundle>> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const bundles = new Map<string, LocaleBundle>();
  for (const name of files) {
    const tag = name.slice(0, -'.json'.length);
    const file = path.join(dir, name);
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag)) {
      throw new Error(`${file}: locale files must be named by language tag, e.g. "en.json" or "bn.json"`);
    }
    bundles.set(tag, loadLocale(hb, file, await readFile(file, 'utf8')));
  }
  if (!bundles.has('en')) throw new Error(`${path.join(dir, 'en.json')} is missing: "en" is the last fallback locale`);
  return bundles;
}

function loadLocale(hb: typeof Handlebars, file: string, source: string): LocaleBundle {
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  const templateOf = (value: unknown, where: string, vars: ReadonlySet<string>, required: readonly string[] = []) => {
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`${where}: missing (expected a non-empty string)`);
      return () => '';
    }
    const literal = REQUIRED_LITERALS[where];
    if (literal !== undefined && !value.includes(literal)) {
      problems.push(`${where}: must contain "${literal}" verbatim (it is what the customer sends to opt out)`);
    }
    return compileString(hb, value, where, vars, problems, required);
  };

  const root = isObject(raw) ? raw : {};
  const commonRaw = isObject(root.common) ? root.common : undefined;
  if (!commonRaw) problems.push('common: missing (expected an object)');
  const common = Object.fromEntries(
    COMMON_KEYS.map((key) => [key, templateOf(commonRaw?.[key], `common.${key}`, COMMON_VARS)]),
  ) as Record<CommonKey, Template>;

  const kindsRaw = isObject(root.kinds) ? root.kinds : undefined;
  if (!kindsRaw) problems.push('kinds: missing (expected an object)');
  const kindRaw = (kind: MessageKind) => {
    const value = kindsRaw?.[kind];
    return isObject(value) ? value : undefined;
  };
  const kindString = (kind: MessageKind, key: string) =>
    templateOf(kindRaw(kind)?.[key], `kinds.${kind}.${key}`, KIND_VARS, kindSpec(kind)?.mustPrint?.[key]);

  const kinds = {} as Record<MessageKind, KindTemplates>;
  for (const kind of MESSAGE_KINDS) {
    const own = kindRaw(kind);
    if (!own) {
      problems.push(`kinds.${kind}: missing (expected an object)`);
      continue;
    }
    const entry = Object.fromEntries(KIND_KEYS.map((key) => [key, kindString(kind, key)])) as Record<
      (typeof KIND_KEYS)[number],
      Template
    >;
    let paragraphs: Template[] = [];
    if (!Array.isArray(own.paragraphs) || own.paragraphs.length === 0) {
      problems.push(`kinds.${kind}.paragraphs: missing (expected a non-empty array of strings)`);
    } else {
      paragraphs = own.paragraphs.map((value: unknown, i) =>
        templateOf(value, `kinds.${kind}.paragraphs[${i}]`, KIND_VARS),
      );
    }
    kinds[kind] = { ...entry, paragraphs, extras: {} };
  }
  // After every kind's own strings, so a missing kind is reported once (above) and not again for its extras.
  for (const kind of MESSAGE_KINDS) {
    if (!kinds[kind]) continue;
    kinds[kind].extras = Object.fromEntries(extraKeysOf(kind).map((key) => [key, kindString(kind, key)]));
  }

  if (problems.length > 0) {
    throw new Error(`invalid message templates in ${file}:\n  - ${problems.join('\n  - ')}`);
  }
  return { common, kinds };
}

/**
 * Compiles one locale string as plain text (no HTML escaping: the layout escapes the result once).
 * Placeholders must be known variables and blocks only #if/#unless, so a typo like {{stagelabel}}
 * is a startup error instead of a silently empty message. `required` names variables the string
 * must print (a kind's mustPrint).
 */
export function compileString(
  hb: typeof Handlebars,
  source: string,
  where: string,
  vars: ReadonlySet<string>,
  problems: string[],
  required: readonly string[],
): Template {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
    return () => '';
  }
  const checker = new PlaceholderCheck(vars);
  checker.accept(ast);
  for (const name of required) {
    if (!checker.printed.has(name)) checker.problems.push(`must use {{${name}}}`);
  }
  if (checker.problems.length > 0) {
    problems.push(...checker.problems.map((p) => `${where}: ${p}`));
    return () => '';
  }
  const template = hb.compile<TemplateVars>(ast, { noEscape: true, knownHelpersOnly: true });
  try {
    // Handlebars compiles lazily; run it now so runtime errors surface at startup.
    template(SAMPLE_FULL);
    template(SAMPLE_MIN);
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  return template;
}

class PlaceholderCheck extends Handlebars.Visitor {
  readonly problems: string[] = [];
  /** Variables the string prints (not merely tests with #if). */
  readonly printed = new Set<string>();
  constructor(private readonly vars: ReadonlySet<string>) {
    super();
  }
  override BlockStatement(block: hbs.AST.BlockStatement): void {
    if (!BLOCK_HELPERS.has(block.path.original)) {
      this.problems.push(`{{#${block.path.original}}} is not supported; use {{#if}} or {{#unless}}`);
    }
    this.acceptArray(block.params);
    if (block.program) this.accept(block.program);
    if (block.inverse) this.accept(block.inverse);
  }
  override MustacheStatement(mustache: hbs.AST.MustacheStatement): void {
    if (mustache.params.length > 0 || mustache.hash) {
      this.problems.push('helper calls are not supported; use plain {{variables}}');
    }
    if (mustache.path.type === 'PathExpression') {
      const name = (mustache.path as hbs.AST.PathExpression).parts[0];
      if (name !== undefined) this.printed.add(name);
    }
    this.accept(mustache.path);
  }
  override PathExpression(p: hbs.AST.PathExpression): void {
    const name = p.parts[0];
    if (p.data || p.depth > 0 || p.parts.length !== 1 || name === undefined || !this.vars.has(name)) {
      this.problems.push(`unknown placeholder {{${p.original}}}; known: ${[...this.vars].join(', ')}`);
    }
  }
  override PartialStatement(): void {
    this.problems.push('partials are not supported');
  }
  override SubExpression(): void {
    this.problems.push('subexpressions are not supported');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
