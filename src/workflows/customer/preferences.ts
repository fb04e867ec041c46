/**
 * The customer's preferences page, on the lifecycle's side: the page reads them (a query) and changes them (an
 * update answered once every running journey has the new snapshot). Workflow code: deterministic.
 */
import type { Lifecycle } from './context';

export function handlePreferences(_l: Lifecycle, _pushSnapshots: () => Promise<void>, _describe: () => void): void {
  // Filled in by the preferences work (getPreferencesQuery, setPreferencesUpdate).
}
