/**
 * The fuzz drill's body generators (fast-check arbitraries), route-agnostic: random JSON, a known-valid body with
 * fields replaced, removed or added, prototype keys and deep nesting spliced in, malformed JSON text, and oversized
 * bodies. Each yields the text to send.
 */
import fc from 'fast-check';

/** What a generated body is, for the figures (which kinds reached which answers). */
export type BodyKind = 'valid' | 'mutated' | 'random-json' | 'malformed' | 'oversized' | 'none';

export interface GeneratedBody {
  kind: BodyKind;
  text: string;
}

/** Values that break assumptions: types, bounds, encodings, injection-looking text, dates that are not dates. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      -0,
      1e308,
      -1e308,
      2 ** 53 + 1,
      0.30000000000000004,
      1e-7,
      '',
      ' ',
      '0',
      '12.5',
      'null',
      'NaN',
      'Infinity',
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      '../../etc/passwd',
      '%00',
      '\u0000',
      '\u202e\u200b',
      '🙂'.repeat(100),
      'x'.repeat(5000),
      '9'.repeat(400),
      '2026-13-45T99:99:99Z',
      '9999-12-31T23:59:59Z',
      '+447700900123',
      'a@b',
      'Europe/Nowhere',
      [],
      {},
      [[]],
      { '': '' },
      { $gt: '' },
      ['email', 'email'],
    ),
  },
);

type Path = (string | number)[];

/** Every path into a JSON value (the root is []), so a mutation can pick any field at any depth. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Mutation =
  | { op: 'replace'; path: Path; value: unknown }
  | { op: 'remove'; path: Path }
  | { op: 'add'; path: Path; key: string; value: unknown };

/** `base` with the mutations applied (a deep copy; the base is never changed). */
function applyMutations(base: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(base);
  for (const m of mutations) {
    if (m.path.length === 0) {
      if (m.op === 'replace') root = m.value;
      else if (m.op === 'add' && root && typeof root === 'object' && !Array.isArray(root)) {
        (root as Record<string, unknown>)[m.key] = m.value;
      }
      continue;
    }
    const parent = m.path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], root);
    if (!parent || typeof parent !== 'object') continue;
    const last = m.path[m.path.length - 1]!;
    const target = parent as Record<string | number, unknown>;
    if (m.op === 'replace') target[last] = m.value;
    else if (m.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete target[last];
    } else {
      const node = target[last];
      if (node && typeof node === 'object' && !Array.isArray(node)) (node as Record<string, unknown>)[m.key] = m.value;
    }
  }
  return root;
}

/** Keys a careless merge turns into prototype pollution; spliced in as text (an object literal cannot hold them). */
const PROTO_SPLICES = [
  '"__proto__":{"polluted":true,"isAdmin":true}',
  '"constructor":{"prototype":{"polluted":true}}',
  '"__proto__":null',
  '"hasOwnProperty":1,"toString":"x","valueOf":{}',
];

/** The JSON text with `splice` inserted as the root object's first member (unchanged if the root is no object). */
function spliceIntoRoot(text: string, splice: string): string {
  if (!text.startsWith('{')) return text;
  return text === '{}' ? `{${splice}}` : `{${splice},${text.slice(1)}`;
}

/** Nested arrays or objects `depth` deep, as JSON text. */
const deepNest = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** A known-valid body with one to three changes, sometimes a prototype key or a deep nest spliced in. */
export function mutated(base: unknown): fc.Arbitrary<GeneratedBody> {
  const paths = pathsOf(base);
  const objectPaths = paths.filter((p) => {
    const node = p.reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], base);
    return node !== null && typeof node === 'object' && !Array.isArray(node);
  });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ op: fc.constant('replace' as const), path: fc.constantFrom(...paths), value: weirdValue }),
    },
    ...(paths.length > 1
      ? [
          {
            weight: 2,
            arbitrary: fc.record({ op: fc.constant('remove' as const), path: fc.constantFrom(...paths.slice(1)) }),
          },
        ]
      : []),
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        path: objectPaths.length > 0 ? fc.constantFrom(...objectPaths) : fc.constant<Path>([]),
        key: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('id', 'tenant', 'workflowId', 'status', 'stage')),
        value: weirdValue,
      }),
    },
  );
  const splice = fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTO_SPLICES) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          depth: fc.integer({ min: 100, max: 5000 }),
          kind: fc.constantFrom('array' as const, 'object' as const),
        })
        .map(({ depth, kind }) => `"nested":${deepNest(depth, kind)}`),
    },
  );
  return fc
    .record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), splice })
    .map(({ mutations, splice: s }) => {
      const text = JSON.stringify(applyMutations(base, mutations)) ?? 'null';
      return { kind: 'mutated' as const, text: s ? spliceIntoRoot(text, s) : text };
    });
}

/** Any JSON at all: what a client with a bug, or a scanner, posts. */
export const randomJson: fc.Arbitrary<GeneratedBody> = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => ({ kind: 'random-json' as const, text: JSON.stringify(v) }));

/** Text that is not JSON, or not quite: truncated, trailing garbage, single quotes, a BOM, NaN, comments. */
export function malformed(base: unknown): fc.Arbitrary<GeneratedBody> {
  const valid = JSON.stringify(base);
  return fc
    .oneof(
      fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
      fc.string({ maxLength: 10 }).map((tail) => `${valid}${tail}}`),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.constantFrom(
        "{'orderId':'x'}",
        '{"a":1,}',
        'NaN',
        '{"a":NaN}',
        '[1,2,',
        '\uFEFF{}',
        '/* c */ {}',
        '{"a":"\\x41"}',
        '{"a":"\\ud800"}',
        '',
        ' ',
        'null',
        '"just a string"',
      ),
    )
    .map((text) => ({ kind: 'malformed' as const, text }));
}

/** A body over the route's limit (a few per run): Fastify answers 413 before anything reads it. */
export function oversized(limitBytes: number): fc.Arbitrary<GeneratedBody> {
  return fc
    .integer({ min: 1, max: limitBytes })
    .map((over) => ({ kind: 'oversized' as const, text: JSON.stringify({ pad: 'x'.repeat(limitBytes + over) }) }));
}

/**
 * The body mix every route gets, around a known-valid body (itself generated, so ids differ from run to run): mostly
 * near-valid, to get past the first check, and some of everything else.
 */
export function bodyFor(base: fc.Arbitrary<unknown>, limitBytes: number): fc.Arbitrary<GeneratedBody> {
  return base.chain((b) =>
    fc.oneof(
      { weight: 50, arbitrary: fc.constant({ kind: 'valid' as const, text: JSON.stringify(b) }) },
      { weight: 300, arbitrary: mutated(b) },
      { weight: 75, arbitrary: randomJson },
      { weight: 60, arbitrary: malformed(b) },
      // About 2 in 1,000: a few per run, not thousands.
      { weight: 1, arbitrary: oversized(limitBytes) },
    ),
  );
}

/** For routes that take no body (GET, DELETE): none mostly, and sometimes one anyway. */
export const noBody: fc.Arbitrary<GeneratedBody> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'none' as const, text: '' }) },
  { weight: 1, arbitrary: randomJson },
  { weight: 1, arbitrary: malformed({}) },
);

/** Header values as undici sends them (visible ASCII and spaces): random, or plausible. */
export const headerText = (maxLength = 60) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
