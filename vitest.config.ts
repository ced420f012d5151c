import { defineConfig } from 'vitest/config';

/** The end-to-end suite, run once per store (test/e2e/testDatabase.ts reads REELBOT_TEST_STORE). */
const e2e = 'test/e2e/**/*.test.ts';
/** End-to-end tests of what only PostgreSQL has (a database server that goes away): its project only. */
const postgresOnly = 'test/e2e/**/*.postgres.test.ts';

export default defineConfig({
  test: {
    // One throwaway PostgreSQL server for the whole run, shared by every project (test/support/postgres.ts).
    globalSetup: ['test/support/postgres.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The machines are 2 cores and noisy: end-to-end tests start real servers.
    pool: 'forks',
    maxWorkers: 2,
    // Inline projects inherit everything above; the names say which store a failure was on.
    projects: [
      { test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [e2e] } },
      { test: { name: 'e2e-sqlite', include: [e2e], exclude: [postgresOnly] } },
      { test: { name: 'e2e-postgres', include: [e2e], env: { REELBOT_TEST_STORE: 'postgres' } } },
    ],
  },
});
