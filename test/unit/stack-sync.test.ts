import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  AFTERCARE_PROCESS_ENV,
  DEFAULT_PORTS,
  SERVICES,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
} from '../../scripts/stack/topology';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';

/**
 * docker-compose.yml, docs/deployment.md and deploy/temporal/create-namespace.sh describe the topology that
 * scripts/stack/topology.ts defines for `npm run stack:prod`: the same services, versions, environment and search
 * attributes.
 */
const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | null> | string[];
  ports?: (string | { published: number | string; target: number | string })[];
}

// `merge: true`: the Aftercare services take their image, environment and depends_on through `<<:` merge keys.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
const docs = read('docs/deployment.md');

/** Compose's `${VAR:-default}` and `${VAR-default}` as their defaults; a variable without one has no known value. */
function withDefaults(value: string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
    if (fallback === undefined) throw new Error(`${whole} has no default`);
    return fallback;
  });
}

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  const env = service(name).environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0]!, entry.split('=')[1] ?? '']));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? '')]));
}

/** The host ports a service publishes ("127.0.0.1:7233:7233", "3001:3000" or the long form). */
function publishedPorts(name: string): number[] {
  return (service(name).ports ?? []).map((port) => {
    if (typeof port !== 'string') return Number(port.published);
    const parts = withDefaults(port).split(':');
    return Number(parts[parts.length - 2]);
  });
}

/** The file an npm script runs with `node --import tsx`, e.g. `worker` → src/worker.ts. */
function scriptEntry(script: string): string {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const entry = scripts[script]?.match(/--import tsx (\S+\.ts)$/)?.[1];
  if (!entry) throw new Error(`package.json's ${script} script runs no src file with --import tsx`);
  return entry;
}

const aftercareServices = SERVICES.filter((s) => s.local.startsWith('npm run '));

describe('docker-compose.yml runs the topology of npm run stack:prod', () => {
  it('has exactly the services of topology.ts', () => {
    expect(Object.keys(compose.services).sort()).toEqual(SERVICES.map((s) => s.compose).sort());
  });

  it('runs the Temporal server, admin-tools and UI releases stack:prod builds', () => {
    expect(withDefaults(service('temporal').image!)).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION}`);
    // Admin-tools carries the schema the server expects (setup) and the CLI (namespace): the same release.
    expect(withDefaults(service('temporal-admin-tools').image!)).toBe(
      `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
    );
    expect(withDefaults(service('temporal-create-namespace').image!)).toBe(
      `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
    );
    expect(withDefaults(service('temporal-ui').image!)).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });

  it('publishes the ports stack:prod listens on', () => {
    expect(publishedPorts('temporal')).toEqual([DEFAULT_PORTS.frontend]);
    expect(publishedPorts('temporal-ui')).toEqual([DEFAULT_PORTS.ui]);
    const apis = aftercareServices.filter((s) => s.local === 'npm run api').map((s) => s.compose);
    expect(apis.flatMap(publishedPorts)).toEqual(DEFAULT_PORTS.apis);
  });

  it('points the UI at the API codec endpoint, with the operator session cookie', () => {
    const ui = environmentOf('temporal-ui');
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toMatch(/^\$\{AFTERCARE_PUBLIC_URL(:-[^}]*)?\}\/codec$/);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
  });

  it.each(aftercareServices.map((s) => [s.compose, s.local] as const))(
    '%s gives every Aftercare process variable and runs what `%s` runs',
    (name, local) => {
      const env = environmentOf(name);
      for (const variable of AFTERCARE_PROCESS_ENV) expect(env, `${name} lacks ${variable}`).toHaveProperty(variable);
      expect(env.TEMPORAL_ADDRESS).toBe(`temporal:${DEFAULT_PORTS.frontend}`);
      expect(env.NODE_ENV).toBe('production');

      const command = service(name).command;
      expect(command).toEqual(['node', '--import', 'tsx', scriptEntry(local.replace('npm run ', ''))]);
      // Only the APIs listen for the outside world; a worker's metrics stay on the compose network.
      if (local === 'npm run worker') expect(publishedPorts(name)).toEqual([]);
    },
  );
});

describe('docs/deployment.md maps one onto the other', () => {
  const rows = docs
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|').map((cell) => cell.trim()));

  it.each(SERVICES.map((s) => [s.compose, s.local] as const))(
    'lists %s with its stack:prod counterpart (%s)',
    (name, local) => {
      const row = rows.find((cells) => cells[1] === `\`${name}\``);
      expect(row, `no table row for \`${name}\``).toBeDefined();
      expect(row).toContain(local);
    },
  );

  it('names the versions topology.ts pins, and no others', () => {
    for (const image of [
      `temporalio/server:${TEMPORAL_SERVER_VERSION}`,
      `temporalio/admin-tools:${TEMPORAL_SERVER_VERSION}`,
      `temporalio/ui:${TEMPORAL_UI_VERSION}`,
    ])
      expect(docs).toContain(image);
    const named = [...docs.matchAll(/temporalio\/(server|admin-tools|ui):(\d[\w.-]*)/g)];
    for (const [image, repo, tag] of named)
      expect(tag, image).toBe(repo === 'ui' ? TEMPORAL_UI_VERSION : TEMPORAL_SERVER_VERSION);
    // The cache directories and the modules stack:prod builds.
    for (const [, version] of docs.matchAll(/(?:temporal-server-v|go\.temporal\.io\/server[\w/]*@v)(\d[\w.-]*)/g))
      expect(version).toBe(TEMPORAL_SERVER_VERSION);
    for (const [, version] of docs.matchAll(/(?:temporal-ui-server-v|ui-server\/v2[\w/]*@v)(\d[\w.-]*)/g))
      expect(version).toBe(TEMPORAL_UI_VERSION);
  });
});

const TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  KEYWORD_LIST: 'KeywordList',
  INT: 'Int',
  DATETIME: 'Datetime',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
};

/**
 * Custom search attributes a namespace can have per type on SQL visibility (PostgreSQL, MySQL, SQLite): server
 * 1.32.1's defaultNumDBCustomSearchAttributes (common/searchattribute/sadefs/constants.go), one preallocated column
 * each in the visibility schema.
 */
const SQL_VISIBILITY_SLOTS: Record<string, number> = {
  Keyword: 10,
  KeywordList: 3,
  Int: 3,
  Datetime: 3,
  Double: 3,
  Bool: 3,
  Text: 3,
};

describe('search attributes', () => {
  const expected = SEARCH_ATTRIBUTE_KEYS.map((key) => `${key.name}:${TYPE_NAMES[key.type]}`).sort();

  it('create-namespace.sh registers exactly the ones the workflows set, with their types', () => {
    const block = read('deploy/temporal/create-namespace.sh').match(/^SEARCH_ATTRIBUTES='\n([^']*)'$/m)?.[1];
    expect(block, 'no SEARCH_ATTRIBUTES block').toBeDefined();
    const registered = block!.split('\n').filter((line) => line.trim() !== '');
    expect(registered.sort()).toEqual(expected);
  });

  it("docs/deployment.md's table lists exactly them", () => {
    const listed = [...docs.matchAll(/^\| `(Aftercare\w+)`\s*\| (\w+)\s*\|$/gm)].map(
      ([, name, type]) => `${name}:${type}`,
    );
    expect(listed.sort()).toEqual(expected);
  });

  it("docs/deployment.md's command for registering them by hand names exactly them", () => {
    const named = [...docs.matchAll(/--name (Aftercare\w+) --type (\w+)/g)].map(([, name, type]) => `${name}:${type}`);
    expect(named.sort()).toEqual(expected);
  });

  it('fit the slots SQL visibility has per type', () => {
    const used: Record<string, number> = {};
    for (const key of SEARCH_ATTRIBUTE_KEYS) used[TYPE_NAMES[key.type]!] = (used[TYPE_NAMES[key.type]!] ?? 0) + 1;
    for (const [type, count] of Object.entries(used))
      expect(
        count,
        `${count} ${type} attributes; SQL visibility has ${SQL_VISIBILITY_SLOTS[type]}`,
      ).toBeLessThanOrEqual(SQL_VISIBILITY_SLOTS[type]!);
  });
});
