/**
 * "name=value,name=value" (SHOPIFY_WEBHOOK_SECRETS, WOOCOMMERCE_WEBHOOK_SECRETS) by name; a value keeps any "=" it
 * holds after the first. The variables' own patterns in src/config refuse malformed lists first.
 */
export function namedValues(list: string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of list?.split(',') ?? []) {
    const at = pair.indexOf('=');
    if (at > 0) values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return values;
}
