// The job store's public surface: its contract, and the implementations that keep it.
export { IllegalTransitionError } from '../states.ts';
export * from './contract.ts';
export { openSqliteStore } from './sqlite/index.ts';
