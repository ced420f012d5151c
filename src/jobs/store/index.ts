// The job store's public surface: its contract, and the implementations that keep it.
export { IllegalTransitionError } from '../states.ts';
export * from './contract.ts';
export { openStore, type StoreSettings } from './open.ts';
export { openPostgresStore } from './postgres/index.ts';
export { DatabaseSettingError } from './settingError.ts';
export { openSqliteStore } from './sqlite/index.ts';
