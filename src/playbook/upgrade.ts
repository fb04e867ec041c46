/**
 * What workflow code needs of the playbook at run time, without zod (every workflow in the worker's cache
 * evaluates the modules it imports: zod in each would cost memory and start-up per workflow): the defaults a
 * playbook frozen before a section existed gets. test/unit/playbook.test.ts pins them to the schema's.
 */
/** The schema's defaults of the sections added after the first release. */
export const LATER_SECTION_DEFAULTS = {
  messages: {},
  consent: { marketingRequiresOptIn: false },
  quietHours: { start: '21:00', end: '09:00', sms: false },
  frequencyCap: { max: 2, per: 604_800_000, overCap: 'defer' },
  sms: { maxSegments: 3 },
  whatsapp: { templates: {} },
  followUps: {},
  operator: {},
  loyalty: { tiers: [], cashbackPercent: 5 },
  rfm: {
    recencyDays: [30, 90, 180, 365],
    frequencyOrders: [2, 3, 5, 10],
    monetaryMinor: [5000, 20000, 50000, 100000],
  },
} as const;

/**
 * Journeys keep the playbook they started with, in their input. One frozen before a section existed gets
 * that section's defaults, so new workflow code reads every playbook the same way.
 */
export function upgradePlaybook<P extends object>(frozen: P): P {
  const filled = { ...frozen } as Record<string, unknown>;
  for (const [section, value] of Object.entries(LATER_SECTION_DEFAULTS)) {
    // A fresh copy each time: the defaults are shared, a journey may not change them for another.
    if (filled[section] === undefined) filled[section] = JSON.parse(JSON.stringify(value)) as unknown;
  }
  return filled as P;
}
