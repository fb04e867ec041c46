/**
 * The little of WooCommerce's REST API (wc/v3) the reconciliation reads: orders modified after a time, oldest change
 * first, a page at a time. Plain fetch, like the channel adapters; HTTP Basic with the REST key's consumer key and
 * secret, which WooCommerce accepts over HTTPS (plain http is for a local store or a test fake).
 */

/** One store's REST access: its base URL (WordPress's home, e.g. https://shop.example) and a read key. */
export interface WooCommerceRestAccess {
  storeUrl: string;
  consumerKey: string;
  consumerSecret: string;
}

export interface OrdersPage {
  orders: unknown[];
  /** X-WP-Total and X-WP-TotalPages: how many match, and on how many pages. */
  total: number;
  totalPages: number;
  /** The store's clock when it answered (the Date header), if it said. */
  storeTime?: number;
}

/** Why a request failed, and whether trying again later can help (a wrong key or URL cannot). */
export class WooCommerceRestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WooCommerceRestError';
  }
}

export const PER_PAGE = 100;

export class WooCommerceRestClient {
  private readonly base: string;
  private readonly authorization: string;

  constructor(
    access: WooCommerceRestAccess,
    private readonly opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
  ) {
    this.base = access.storeUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${access.consumerKey}:${access.consumerSecret}`).toString('base64')}`;
  }

  /**
   * Orders modified after `after` (exclusive, whole seconds as WooCommerce compares them), by modification time,
   * oldest first: GET /wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&orderby=modified&order=asc.
   */
  async ordersModifiedAfter(after: Date, page: number): Promise<OrdersPage> {
    const query = new URLSearchParams({
      // WooCommerce's GMT form (no offset), read as GMT because of dates_are_gmt.
      modified_after: after.toISOString().slice(0, 19),
      dates_are_gmt: 'true',
      orderby: 'modified',
      order: 'asc',
      per_page: String(PER_PAGE),
      page: String(page),
    });
    const url = `${this.base}/wp-json/wc/v3/orders?${query.toString()}`;
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, {
        headers: { authorization: this.authorization, accept: 'application/json' },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      // undici's "fetch failed" keeps the reason (ECONNREFUSED, a timeout) in `cause`.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new WooCommerceRestError(`the store did not answer (${cause})`, true);
    }
    if (!res.ok) {
      const body = await res.text().catch(() => '');
      const code = /"code"\s*:\s*"([a-z0-9_]{1,60})"/.exec(body)?.[1];
      const why = `GET orders answered ${res.status}${code ? ` (${code})` : ''}`;
      // 401/403: the key is wrong or lacks read access; 404: the URL is no WooCommerce store. Not fixed by a retry.
      if ([400, 401, 403, 404].includes(res.status)) {
        throw new WooCommerceRestError(`${why}: check WOOCOMMERCE_URL and the REST key`, false, res.status);
      }
      throw new WooCommerceRestError(why, true, res.status);
    }
    // A security or cache plugin's HTML page with 200 is no list either: a person has to look.
    const orders = (await res.json().catch(() => undefined)) as unknown;
    if (!Array.isArray(orders)) throw new WooCommerceRestError('GET orders did not answer a JSON list', false);
    const storeTime = Date.parse(res.headers.get('date') ?? '');
    return {
      orders,
      total: Number(res.headers.get('x-wp-total') ?? orders.length) || 0,
      totalPages: Number(res.headers.get('x-wp-totalpages') ?? 1) || 1,
      ...(Number.isFinite(storeTime) ? { storeTime } : {}),
    };
  }
}
