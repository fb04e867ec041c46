/** Calls to a running Aftercare API (npm start, or the stack) as a shop's backend makes them. */

/** POST /v1/orders with the shop's API key; the caller checks the answer. */
export function postOrder(apiUrl: string, apiKey: string, order: unknown): Promise<Response> {
  return fetch(`${apiUrl}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(order),
  });
}
