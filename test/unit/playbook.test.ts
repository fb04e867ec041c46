import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { parseDuration } from '../../src/playbook/duration';
import { loadPlaybook, parsePlaybook, PlaybookError } from '../../src/playbook/load';
import { LATER_SECTION_DEFAULTS, upgradePlaybook } from '../../src/playbook/upgrade';
import { playbookBaseSchema, type Playbook } from '../../src/playbook/schema';

const shipped = path.resolve(__dirname, '..', '..', 'playbooks');

describe('playbooks', () => {
  it.each(readdirSync(shipped).filter((f) => f.endsWith('.yaml')))('ships a valid %s', (file) => {
    const playbook = loadPlaybook(path.join(shipped, file));
    expect(playbook.stages.length).toBeGreaterThanOrEqual(2);
    expect(playbook.delays.thankYou).toBeGreaterThan(0);
  });

  it('has the shop stages by default and a long builder journey', () => {
    expect(loadPlaybook(path.join(shipped, 'shop.yaml')).stages.map((s) => s.id)).toEqual([
      'placed',
      'confirmed',
      'shipped',
      'out_for_delivery',
      'delivered',
    ]);
    expect(loadPlaybook(path.join(shipped, 'builder.yaml')).stages.at(-1)!.id).toBe('handover');
  });

  it('names the bad field in its errors', () => {
    const bad = {
      version: 1,
      brand: { name: 'X', sender: 'X <x@example.com>', supportEmail: 'nope' },
      stages: [
        { id: 'placed', label: 'Placed' },
        { id: 'Shipped!', label: 'Shipped' },
        { id: 'placed', label: 'Again' },
      ],
      delays: { thankYou: 'soon' },
    };
    let error: PlaybookError | undefined;
    try {
      parsePlaybook(bad, 'bad.yaml');
    } catch (err) {
      error = err as PlaybookError;
    }
    expect(error).toBeInstanceOf(PlaybookError);
    const text = error!.problems.join('\n');
    expect(text).toContain('brand.supportEmail');
    expect(text).toContain('stages[1].id: must be lower_snake_case');
    expect(text).toContain('delays.thankYou: "soon" is not a duration');

    const duplicate = { ...bad, brand: { name: 'X', sender: 'X <x@example.com>' }, delays: { thankYou: '1h' } };
    duplicate.stages = [duplicate.stages[0]!, { id: 'shipped', label: 'Shipped' }, duplicate.stages[2]!];
    expect(() => parsePlaybook(duplicate)).toThrow('stages[2].id: duplicate stage "placed"');
  });

  it('reads durations people write', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('3 days')).toBe(259_200_000);
    expect(parseDuration('1 week')).toBe(604_800_000);
    expect(parseDuration('1.5 hours')).toBe(5_400_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('3 fortnights')).toBeUndefined();
  });
});

describe('playbooks frozen in older journeys', () => {
  it("get each later section's schema default, the zod-free copy workflow code uses staying equal to the schema's", () => {
    for (const [section, value] of Object.entries(LATER_SECTION_DEFAULTS)) {
      const schema = playbookBaseSchema.shape[section as keyof typeof LATER_SECTION_DEFAULTS];
      expect(value, section).toEqual(schema.parse(undefined));
    }
    const old = { version: 1, stages: [] } as unknown as Playbook;
    const upgraded = upgradePlaybook(old);
    expect(upgraded.quietHours).toEqual({ start: '21:00', end: '09:00', sms: false });
    // Copies, not the shared defaults: one journey's playbook is not another's.
    (upgraded.loyalty.tiers as unknown[]).push('x');
    expect(upgradePlaybook(old).loyalty.tiers).toEqual([]);
  });
});

describe('config', () => {
  it('has working defaults and reports every bad variable at once', () => {
    const config = loadConfig({});
    expect(config.api.port).toBe(3000);
    expect(config.temporal).toMatchObject({ address: undefined, namespace: 'default', port: 7233, uiPort: 8233 });
    expect(() => loadConfig({ AFTERCARE_PORT: 'abc', RESEND_BASE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', RESEND_API_KEY: 're_x' })).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringContaining('EMAIL_FROM'),
          expect.stringContaining('AFTERCARE_API_KEY'),
          expect.stringContaining('AFTERCARE_SECRET'),
          expect.stringContaining('AFTERCARE_OPERATOR_KEY'),
          expect.stringContaining('AFTERCARE_PUBLIC_URL'),
        ],
      }),
    );
  });
});
