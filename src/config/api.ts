import { z } from 'zod';
import { optionalString, port } from './fields';

/** The HTTP API and what secures it: where it listens, the URL it is reached at, its keys, the secrets. */
export const apiEnv = {
  AFTERCARE_HOST: z.string().min(1).default('127.0.0.1'),
  AFTERCARE_PORT: port(3000),
  AFTERCARE_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  AFTERCARE_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Operators' key: the codec endpoint, /metrics and /docs in production (and, later, operator actions). */
  AFTERCARE_OPERATOR_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  AFTERCARE_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** "id:base64,id:base64": payload-encryption keys, the first encrypts (rotate by putting a new one first). */
  AFTERCARE_ENCRYPTION_KEYS: optionalString,
};
