import { defineConfig } from 'vitest/config';

/**
 * Three tiers, like the Temporal samples: unit tests need nothing running; workflow tests run against
 * one real Temporal dev server per run (test/support/global-setup.ts); end-to-end tests spawn the app
 * or a worker process. `npm test` runs all three; `npm run test:unit` runs the first on its own.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2-core CI machines: two files at a time keep the dev server responsive.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: ['test/support/global-setup.ts'] },
      },
    ],
  },
});
