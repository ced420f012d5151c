// The jobs room's public surface.

export * from './blockedWords.ts';
export * from './cancel.ts';
export * from './chain.ts';
export * from './failures.ts';
export * from './journal.ts';
export * from './keptFiles.ts';
export * from './learnedSchedule.ts';
export * from './media.ts';
export * from './moderation.ts';
export * from './quotas.ts';
export * from './referenceCheck.ts';
export * from './remove.ts';
export * from './requestSettings.ts';
export * from './schedule.ts';
export * from './settle.ts';
export * from './states.ts';
export * from './store/index.ts';
export * from './submissions.ts';
export * from './submit.ts';
export * from './tracker.ts';
export * from './validate.ts';
export * from './webhooks.ts';
