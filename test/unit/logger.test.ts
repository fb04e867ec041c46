import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';

describe('logging', () => {
  it('never writes customer contacts, whatever object reaches the log', () => {
    const lines: string[] = [];
    const log = createLogger('info', { destination: { write: (line: string) => lines.push(line) } });
    log.info(
      {
        customer: {
          id: 'c-1',
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          phone: '+447700900123',
          telegramChatId: '998877',
        },
        to: 'ada@example.com',
        request: { recipient: { email: 'ada@example.com' } },
        orderId: 'o-1',
      },
      'order received',
    );
    const out = lines.join('');
    expect(out).toContain('o-1');
    expect(out).toContain('c-1');
    for (const pii of ['ada@example.com', '+447700900123', '998877', 'Ada Lovelace']) expect(out).not.toContain(pii);
  });
});
