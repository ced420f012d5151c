import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the run (test/support/postgres.ts).
    globalSetup: ['test/support/postgres.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The machines are 2 cores and noisy: end-to-end tests start real servers.
    pool: 'forks',
    maxWorkers: 2,
  },
});
