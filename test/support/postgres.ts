// vitest globalSetup: one throwaway PostgreSQL server for the whole run, its URL provided to the
// tests as inject('postgresUrl'); test files take a database of their own (test/support/database.ts).
// It never skips: when the server cannot start, the run fails with the reason.
import type { TestProject } from 'vitest/node';
import { startPostgresServer } from './postgresServer.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The superuser's URL of the run's server (its `postgres` database). */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgresServer();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
