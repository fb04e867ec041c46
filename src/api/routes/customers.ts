import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toConsentView, toCustomerView, type CustomerGateway } from '../../gateway/customers';
import { businessKey, errorBody } from '../../schemas/common';
import { consentInputSchema, customerPatchSchema } from '../../schemas/customers';
import { consentResponse, customerUpdateResponse, customerView } from '../../schemas/views';
import { customerLifecycleId } from '../../workflows/customer/contract';
import type { LinksFor } from './links';

const errors = { 401: errorBody, 404: errorBody, 422: errorBody };
/** The OpenAPI tag, summary and path parameter every /customers/:customerId route shares. */
const aboutCustomer = (summary: string) => ({
  tags: ['customers'],
  summary,
  params: z.object({ customerId: businessKey }),
});

/** The business's customer routes: the profile and history, notes and preferences, consent. */
export const customerRoutes: FastifyPluginAsyncZod<{ customers: CustomerGateway; links: LinksFor }> = async (
  app,
  opts,
) => {
  const { customers, links } = opts;

  app.get(
    '/customers/:customerId',
    { schema: { ...aboutCustomer("The customer's profile and orders"), response: { 200: customerView, ...errors } } },
    async (request) => {
      const view = toCustomerView(await customers.get(request.params.customerId));
      const workflowId = customerLifecycleId(view.customerId);
      return { ...view, workflowId, links: links(workflowId) };
    },
  );

  const patch = 'Notes and preferences about the customer (channels, language, time zone)';
  app.patch(
    '/customers/:customerId',
    {
      schema: {
        ...aboutCustomer(patch),
        body: customerPatchSchema,
        response: { 200: customerUpdateResponse, ...errors },
      },
    },
    async (request) => toCustomerView(await customers.update(request.params.customerId, request.body)),
  );

  const consent = 'Record consent given or withdrawn (marketing, or every message on a channel)';
  app.post(
    '/customers/:customerId/consent',
    { schema: { ...aboutCustomer(consent), body: consentInputSchema, response: { 200: consentResponse, ...errors } } },
    async (request) => {
      const state = await customers.setConsent(request.params.customerId, request.body);
      return { customerId: state.customerId, consent: toConsentView(state.consent) };
    },
  );
};
