// The PostgreSQL store under the conformance suite: each database is a new one on the run's
// server, and every `open` is another process's store on it.
import type { JobStore } from '../../../src/jobs/store/contract.ts';
import { openPostgresStore } from '../../../src/jobs/store/postgres/index.ts';
import { freshDatabase } from '../../support/database.ts';
import type { StoreUnderTest } from './storeUnderTest.ts';

export const postgresStore: StoreUnderTest = {
  name: 'postgres',
  async newDatabase() {
    const database = await freshDatabase();
    const opened: JobStore[] = [];
    return {
      async open(options = {}) {
        // Small pools: a test opens several stores, and the server's connections are shared.
        const store = await openPostgresStore(database.url, { poolSize: 4, ...options });
        opened.push(store);
        return store;
      },
      async drop() {
        await Promise.all(opened.map((store) => store.close()));
        await database.drop();
      },
    };
  },
};
