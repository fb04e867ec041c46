import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Customer contacts are PII: whatever object reaches a log line, these keys are censored.
 * Code should not log contacts in the first place; this is the net under that rule.
 */
const PII_KEYS = ['email', 'phone', 'telegramChatId', 'to', 'recipient', 'name'];
export const REDACT_PATHS = [
  ...PII_KEYS,
  ...PII_KEYS.map((k) => `*.${k}`),
  ...PII_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(
  level: string,
  opts: {
    pretty?: boolean;
    /**
     * Pretty output written synchronously in pino-pretty's thread, so that after flush() every line is on the
     * terminal (by default a line can still be on its way; npm start needs its banner to come last).
     */
    sync?: boolean;
    destination?: pino.DestinationStream;
  } = {},
): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: {
              colorize: true,
              translateTime: 'HH:MM:ss',
              ignore: 'pid,hostname',
              ...(opts.sync ? { sync: true } : {}),
            },
          },
        }
      : {}),
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
