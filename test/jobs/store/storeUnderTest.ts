// What the store conformance suite (./conformance.ts) needs of an implementation: fresh,
// empty databases, each of which may be opened more than once at a time (two processes).
import type { JobStore, JobStoreOptions } from '../../../src/jobs/store/contract.ts';

export interface TestDatabase {
  /** Opens a store on this database; a second call is a second process sharing it. */
  open(options?: JobStoreOptions): Promise<JobStore>;
  /** Closes what `open` opened and removes the database. */
  drop(): Promise<void>;
}

export interface StoreUnderTest {
  name: 'sqlite' | 'postgres';
  newDatabase(): Promise<TestDatabase>;
}
