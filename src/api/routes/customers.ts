import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toConsentView, toCustomerView, type CustomerGateway } from '../../gateway/customers';
import { businessKey, errorBody, idempotencyHeaders } from '../../schemas/common';
import { consentInputSchema, customerPatchSchema } from '../../schemas/customers';
import { consentResponse, customerUpdateResponse, customerView, erasureResponse } from '../../schemas/views';
import type { ErasureGateway } from '../../gateway/erasure';
import { requestOf } from './idempotency';
import type { LinksFor } from './links';

const errors = { 401: errorBody, 404: errorBody, 422: errorBody, 503: errorBody };
const ERASURE_BUDGET_MS = 60_000;
/** The OpenAPI tag, summary and path parameter every /customers/:customerId route shares. */
const aboutCustomer = (summary: string) => ({
  tags: ['customers'],
  summary,
  params: z.object({ customerId: businessKey }),
});

/** The business's customer routes: the profile and history, notes and preferences, consent. */
export const customerRoutes: FastifyPluginAsyncZod<{
  customers: CustomerGateway;
  erasure: ErasureGateway;
  links: LinksFor;
}> = async (app, opts) => {
  const { customers, erasure, links } = opts;

  app.get(
    '/customers/:customerId',
    { schema: { ...aboutCustomer("The customer's profile and orders"), response: { 200: customerView, ...errors } } },
    async (request) => {
      const view = toCustomerView(await customers.get(request.params.customerId));
      const workflowId = customers.lifecycleIdOf(view.customerId);
      return { ...view, workflowId, links: links(workflowId) };
    },
  );

  const patch = 'Notes and preferences about the customer (channels, language, time zone)';
  app.patch(
    '/customers/:customerId',
    {
      schema: {
        ...aboutCustomer(patch),
        headers: idempotencyHeaders,
        body: customerPatchSchema,
        response: { 200: customerUpdateResponse, ...errors },
      },
    },
    async (request) =>
      toCustomerView(await customers.update(request.params.customerId, request.body, requestOf(request.headers))),
  );

  const consent = 'Record consent given or withdrawn (marketing, or every message on a channel)';
  app.post(
    '/customers/:customerId/consent',
    {
      schema: {
        ...aboutCustomer(consent),
        headers: idempotencyHeaders,
        body: consentInputSchema,
        response: { 200: consentResponse, ...errors },
      },
    },
    async (request) => {
      const state = await customers.setConsent(request.params.customerId, request.body, requestOf(request.headers));
      return { customerId: state.customerId, consent: toConsentView(state.consent) };
    },
  );

  const erase =
    'Erase the customer (GDPR art. 17): stop and delete their journeys and lifecycle from Temporal, history and visibility included, and their outbox messages; only anonymous counts stay. Idempotent';
  app.delete(
    '/customers/:customerId',
    {
      // Its own budget: it deletes every run of the customer, round by round, then waits up to 15 s for visibility
      // to forget them (src/gateway/erasure.ts); cut at 10 s, a finished erasure would answer 503.
      config: { temporalBudgetMs: ERASURE_BUDGET_MS },
      schema: {
        ...aboutCustomer(erase),
        headers: idempotencyHeaders,
        response: { 200: erasureResponse, 401: errorBody, 422: errorBody, 503: errorBody },
      },
    },
    async (request) => erasure.erase(request.params.customerId),
  );
};
