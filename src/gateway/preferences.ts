import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { NotFoundError, UnprocessableError } from '../errors';
import {
  customerLifecycleId,
  getPreferencesQuery,
  setPreferencesUpdate,
  type PreferencesChange,
  type PreferencesView,
} from '../workflows/customer/contract';
import { INVALID_PREFERENCES } from '../workflows/customer/preferences-rules';

/**
 * The customer's preferences page's way into their lifecycle: one query to show the page, one update to save it
 * (answered once every running journey of the customer has the change). Unknown customers are 404s; a change the
 * lifecycle refuses is a 422 naming why.
 */
export interface PreferencesSink {
  view(customerId: string): Promise<PreferencesView>;
  save(customerId: string, change: PreferencesChange): Promise<PreferencesView>;
}

export class PreferencesGateway implements PreferencesSink {
  constructor(
    private readonly client: Client,
    /** Whose customers these are (undefined: the default tenant). */
    private readonly tenant?: string,
  ) {}

  private handle(customerId: string) {
    return this.client.workflow.getHandle(customerLifecycleId(customerId, this.tenant));
  }

  async view(customerId: string): Promise<PreferencesView> {
    try {
      return await this.handle(customerId).query(getPreferencesQuery);
    } catch (err) {
      throw notFoundOr(err, customerId);
    }
  }

  async save(customerId: string, change: PreferencesChange): Promise<PreferencesView> {
    try {
      // The change's id names the update too: the same form posted twice is one update.
      return await this.handle(customerId).executeUpdate(setPreferencesUpdate, {
        args: [change],
        updateId: `preferences:${change.eventId}`,
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause as { type?: string; message?: string } | undefined;
        if (cause?.type === INVALID_PREFERENCES) throw new UnprocessableError(cause.message ?? 'invalid preferences');
        throw new NotFoundError(`no customer "${customerId}" with an order yet`);
      }
      throw notFoundOr(err, customerId);
    }
  }
}

function notFoundOr(err: unknown, customerId: string): unknown {
  if (err instanceof WorkflowNotFoundError) return new NotFoundError(`no customer "${customerId}"`);
  // A lifecycle on code from before the page (mid-deploy) knows neither the query nor the update.
  if (err instanceof Error && /unknown (query|update)|not found.*(query|update)/i.test(err.message)) {
    return new NotFoundError(`the customer "${customerId}" cannot show preferences yet`);
  }
  return err;
}
