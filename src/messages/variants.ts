/**
 * A/B variants of a message kind (the playbook's `messages.<kind>.variants`): which one a customer gets. A stable
 * hash of the experiment's name, the kind and the customer places each customer at a point in [0, 1); the variants
 * cover that line in their order, each as wide as its share of the weights. So the same customer always reads the
 * same variant of a kind (in every journey, on every replay, in the preview), and changing weights moves only the
 * customers a boundary passes over: 50/50 → 60/40 moves one customer in ten, from the second to the first.
 * Adding, removing or reordering variants, or renaming the experiment, deals everyone again.
 * Pure (no Node, no imports with code): workflows, the send path and the preview use it.
 */
import type { MessageKind } from './kind-names';
import type { LocalizedText } from './localized';

/** The strings of a kind a variant may replace: those of templates/locales, `body` standing for the paragraphs. */
export const VARIANT_TEXT_KEYS = ['subject', 'preheader', 'heading', 'body', 'text', 'cta'] as const;
export type VariantTextKey = (typeof VARIANT_TEXT_KEYS)[number];
/** A variant's own texts; a string it leaves out stays the kind's own (templates/locales). */
export type VariantTexts = Partial<Record<VariantTextKey, LocalizedText>>;

/** One variant as the playbook has it. */
export interface MessageVariant extends VariantTexts {
  id: string;
  /** Its share of the customers: weight / the sum of the kind's weights. 0: nobody gets it. */
  weight: number;
}

/** What a message carries of its variant: the id (records, links, counts) and the texts to render. */
export type ChosenVariant = { id: string } & VariantTexts;

/** A kind's settings in the playbook, as far as variants go. */
export interface VariantSettings {
  /** Names the test: a new name deals every customer again. Absent: "" (the kind alone). */
  experiment?: string;
  variants?: MessageVariant[];
}

/**
 * The variant of `kind` the customer gets under this playbook, or undefined when the kind has no variants.
 * `customerKey` is the customer's id (the business's own): the order journey, the lifecycle and the preview all
 * pass that, so they agree.
 */
export function variantFor(
  playbook: { messages?: Partial<Record<MessageKind, VariantSettings | undefined>> },
  kind: MessageKind,
  customerKey: string,
): MessageVariant | undefined {
  const settings = playbook.messages?.[kind];
  const variants = settings?.variants;
  if (!variants || variants.length === 0) return undefined;
  return pickByWeight(variants, bucketOf(settings.experiment ?? '', kind, customerKey));
}

/** The customer's place in [0, 1) for one kind and experiment: uniform, stable, independent between kinds. */
export function bucketOf(experiment: string, kind: string, customerKey: string): number {
  // JSON keeps the parts apart ("a|b" + "c" is not "a" + "b|c").
  return cyrb53(JSON.stringify([experiment, kind, customerKey])) / 2 ** 53;
}

/** The variant whose stretch of [0, 1) holds `point`; a weight of 0 has no stretch, so it is never picked. */
export function pickByWeight<V extends { weight: number }>(variants: readonly V[], point: number): V | undefined {
  const total = variants.reduce((sum, v) => sum + Math.max(v.weight, 0), 0);
  if (!(total > 0)) return undefined;
  const target = point * total;
  let upTo = 0;
  for (const v of variants) {
    if (v.weight <= 0) continue;
    upTo += v.weight;
    if (target < upTo) return v;
  }
  // Rounding at the very end of the line: the last variant that has a stretch.
  return [...variants].reverse().find((v) => v.weight > 0);
}

/** What a message carries of its variant: everything but the weight. */
export function chosen(variant: MessageVariant): ChosenVariant {
  const { weight: _weight, ...rest } = variant;
  return rest;
}

/**
 * cyrb53 (bryc, public domain): a 53-bit string hash with good spread, in plain arithmetic (workflow code has no
 * crypto). Not a secret: it only spreads customers over variants.
 */
function cyrb53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
