// The conformance suite on PostgreSQL: the same tests as on SQLite, each on a database of its own
// on the run's server (test/support/postgres.ts), never skipped.
import { describeStoreConformance } from './conformance.ts';
import { postgresStore } from './postgresStore.ts';

describeStoreConformance(postgresStore);
