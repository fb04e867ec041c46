import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import type { AftercareMetrics } from '../metrics';
import { requireKey } from './auth';
import { opsRoutes } from './routes/ops';

/**
 * `/metrics` and `/health` for a process without the API (`npm run worker`): the same routes, the same merge
 * (`src/metrics.ts`), behind the operators' key when one is set.
 */
export async function startMetricsListener(opts: {
  metrics: AftercareMetrics;
  temporalHealth: () => Promise<void>;
  operatorKey: string | undefined;
  host: string;
  port: number;
  logger: Logger;
}): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ loggerInstance: opts.logger.child({ component: 'metrics' }), disableRequestLogging: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(opsRoutes, {
    metrics: opts.metrics,
    temporalHealth: opts.temporalHealth,
    ...(opts.operatorKey ? { metricsAuth: requireKey(opts.operatorKey, 'AFTERCARE_OPERATOR_KEY') } : {}),
  });
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { app: app as unknown as FastifyInstance, url: `http://${opts.host}:${port}/metrics` };
}
