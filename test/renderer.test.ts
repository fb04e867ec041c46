import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageKind } from '../src/contract';
import { createRenderer, MESSAGE_KINDS } from '../src/messages/renderer';
import type { MessageRenderer, RenderRequest } from '../src/messages/types';

const TEMPLATES = path.resolve(__dirname, '../templates');

const brand: RenderRequest['brand'] = {
  name: "Dana's Shop",
  sender: "Dana's Shop <orders@shop.example>",
  supportEmail: 'help@shop.example',
  supportPhone: '+44 20 7946 0000',
  website: 'https://shop.example',
};

function request(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    kind: 'order_status',
    channel: 'email',
    locale: 'en',
    fallbackLocale: 'en',
    timeZone: 'Asia/Dhaka',
    brand,
    recipientName: 'Ana',
    data: {
      orderId: 'A-1001',
      stageLabel: { en: 'Shipped', bn: 'পাঠানো হয়েছে' },
      stageDescription: { en: 'Your parcel is on its way.', bn: 'আপনার পার্সেল পথে আছে।' },
      note: 'Left with the neighbour',
      reason: 'The courier is on strike',
      eta: '2025-03-10T18:30:00Z',
    },
    ...overrides,
  };
}

let renderer: MessageRenderer;
beforeAll(async () => {
  renderer = await createRenderer();
});

describe('createRenderer', () => {
  it('finds the shipped locales', () => {
    expect(renderer.locales).toEqual(['bn', 'en']);
  });

  const cases = MESSAGE_KINDS.flatMap((kind) =>
    (['en', 'bn'] as const).flatMap((locale) =>
      (['email', 'sms'] as const).map((channel) => ({ kind, locale, channel })),
    ),
  );
  it.each(cases)('renders $kind in $locale for $channel', ({ kind, locale, channel }) => {
    const m = renderer.render(request({ kind, locale, channel }));
    expect(m.locale).toBe(locale);
    expect(m.subject.length).toBeGreaterThan(5);
    expect(m.subject).not.toMatch(/[\r\n]|\{\{/);
    expect(m.text).not.toContain('{{');
    if (channel === 'email') {
      expect(m.html).toMatch(/^<!doctype html>/i);
      expect(m.html).toContain(`lang="${locale}"`);
      expect(m.html).not.toContain('{{');
      expect(m.html).toContain('A-1001');
      expect(m.html).toContain('Dana&#x27;s Shop'); // brand in header and footer, escaped
      expect(m.text).toContain(locale === 'bn' ? 'প্রিয় Ana' : 'Hi Ana');
      expect(m.text).toContain('help@shop.example');
    } else {
      expect(m.html).toBe('');
      expect(m.text.startsWith("Dana's Shop: ")).toBe(true);
      expect(m.text).toContain('A-1001');
      expect(Array.from(m.text).length).toBeLessThan(300);
    }
    if (locale === 'bn') expect(m.text).toMatch(/[\u0980-\u09FF]/);
  });

  it('escapes customer data in HTML but not in the text part', () => {
    const evil = '<script>alert(1)</script>';
    for (const kind of MESSAGE_KINDS) {
      const m = renderer.render(
        request({
          kind,
          recipientName: `Ana ${evil}`,
          data: { ...request().data, orderId: 'A<1>"', note: `note ${evil}`, reason: `reason ${evil}` },
        }),
      );
      expect(m.html).not.toContain('<script');
      expect(m.html).not.toContain('A<1>');
      expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(m.text).toContain(`Ana ${evil}`);
    }
  });

  it('shows stage, note and ETA on a status update, and says when the order is complete', () => {
    const m = renderer.render(request());
    expect(m.subject).toBe('Order A-1001: Shipped');
    expect(m.text).toContain('Your parcel is on its way.');
    expect(m.text).toContain('Left with the neighbour');
    expect(m.text).toContain('Stage: Shipped');

    const done = renderer.render(request({ data: { orderId: 'A-1001', stageLabel: 'Delivered', isFinal: true } }));
    expect(done.subject).toBe('Your order A-1001 is complete');
    expect(done.text).toContain('final stage: Delivered');
  });

  it('is honest about delays and problems, with the reason and how to reach support', () => {
    const delayed = renderer.render(request({ kind: 'order_delayed' }));
    expect(delayed.subject).toContain('delayed');
    expect(delayed.text).toContain('The reason: The courier is on strike.');
    expect(delayed.text).toMatch(/New expected date: Mar 11, 2025/);
    // Handlebars escapes "=" as &#x3D; inside the attribute; browsers decode it.
    expect(delayed.html).toContain('href="mailto:help@shop.example?subject&#x3D;Order%20A-1001"');

    const noEta = renderer.render(request({ kind: 'order_delayed', data: { orderId: 'A-1', reason: 'Storm.' } }));
    expect(noEta.text).toContain("We don't have a new date yet");
    expect(noEta.text).toContain('The reason: Storm.');

    const problem = renderer.render(
      request({ kind: 'order_problem', channel: 'sms', data: { orderId: 'A-1', note: 'Item out of stock' } }),
    );
    expect(problem.text).toContain('(Item out of stock)');
    expect(problem.text).toContain('+44 20 7946 0000');
  });

  it('leaves out empty paragraphs, details and the button when there is nothing to show', () => {
    const bare = { name: 'Tiny', sender: 'Tiny <t@tiny.example>' };
    const m = renderer.render(request({ kind: 'thank_you', brand: bare, data: { orderId: 'T-1' } }));
    expect(m.html).not.toContain('<p style="margin:0 0 14px 0;"></p>');
    expect(m.html).not.toMatch(/<a\s[^>]*target="_blank"/); // no CTA button without a website
    expect(m.text).not.toMatch(/\n{3,}/);
    expect(m.text).not.toContain('Questions?');
  });

  it('drops a website that is not http(s)', () => {
    const m = renderer.render(request({ kind: 'thank_you', brand: { ...brand, website: 'javascript:alert(1)' } }));
    expect(m.html).not.toContain('javascript:');
  });

  it('falls back: fr -> en, bn-BD -> bn, fr with fallback bn -> bn, no locale -> fallback', () => {
    expect(renderer.render(request({ locale: 'fr' })).locale).toBe('en');
    expect(renderer.render(request({ locale: 'bn-BD' })).locale).toBe('bn');
    expect(renderer.render(request({ locale: 'fr', fallbackLocale: 'bn' })).locale).toBe('bn');
    expect(renderer.render(request({ locale: undefined, fallbackLocale: 'bn-BD' })).locale).toBe('bn');
    const bn = renderer.render(request({ locale: 'bn-BD' }));
    expect(bn.subject).toBe('অর্ডার A-1001: পাঠানো হয়েছে');
  });

  it('formats the ETA in the customer time zone', () => {
    const eta = '2025-03-10T18:30:00Z';
    const dhaka = renderer.render(
      request({ channel: 'sms', timeZone: 'Asia/Dhaka', data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(dhaka.text).toMatch(/Mar 11, 2025, 12:30\sAM/u);
    const utc = renderer.render(
      request({ channel: 'sms', timeZone: undefined, data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(utc.text).toMatch(/Mar 10, 2025, 6:30\sPM/u);
    const bn = renderer.render(
      request({ locale: 'bn', channel: 'sms', data: { orderId: 'A-1', stageLabel: 'Shipped', eta } }),
    );
    expect(bn.text).toContain('১১ মার্চ, ২০২৫');
  });

  it('keeps text messages SMS-sized even with long customer text', () => {
    const long = 'x'.repeat(1000);
    for (const kind of MESSAGE_KINDS as MessageKind[]) {
      for (const locale of ['en', 'bn']) {
        const m = renderer.render(
          request({
            kind,
            locale,
            channel: 'sms',
            recipientName: 'N'.repeat(200),
            data: { ...request().data, note: long, reason: long },
          }),
        );
        expect(Array.from(m.text).length, `${kind}/${locale}`).toBeLessThan(330);
      }
    }
  });
});

describe('template validation at startup', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aftercare-templates-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function copyWith(edit: (bn: { kinds: Record<string, Record<string, unknown>> }) => void): Promise<string> {
    const target = await mkdtemp(path.join(dir, 'case-'));
    await cp(TEMPLATES, target, { recursive: true });
    const file = path.join(target, 'locales', 'bn.json');
    const bn = JSON.parse(await readFile(file, 'utf8')) as { kinds: Record<string, Record<string, unknown>> };
    edit(bn);
    await writeFile(file, JSON.stringify(bn));
    return target;
  }

  it('names the file and the missing key', async () => {
    const templatesDir = await copyWith((bn) => {
      delete bn.kinds.order_delayed!.text;
    });
    await expect(createRenderer({ templatesDir })).rejects.toThrow(
      /bn\.json[\s\S]*kinds\.order_delayed\.text: missing/,
    );
  });

  it('rejects unknown placeholders and broken Handlebars', async () => {
    const typo = await copyWith((bn) => {
      bn.kinds.order_status!.subject = 'Order {{orderID}}';
    });
    await expect(createRenderer({ templatesDir: typo })).rejects.toThrow(
      /kinds\.order_status\.subject: unknown placeholder \{\{orderID\}\}/,
    );
    const broken = await copyWith((bn) => {
      bn.kinds.thank_you!.heading = '{{#if name}}unclosed';
    });
    await expect(createRenderer({ templatesDir: broken })).rejects.toThrow(/kinds\.thank_you\.heading/);
  });

  it('rejects an invalid MJML layout', async () => {
    const target = await mkdtemp(path.join(dir, 'mjml-'));
    await cp(TEMPLATES, target, { recursive: true });
    const layout = path.join(target, 'email', 'layout.mjml');
    await writeFile(
      layout,
      (await readFile(layout, 'utf8')).replace(
        '<mj-text font-size="19px"',
        '<mj-text bogus-attribute="1" font-size="19px"',
      ),
    );
    await expect(createRenderer({ templatesDir: target })).rejects.toThrow(/MJML validation failed/);
  });
});
