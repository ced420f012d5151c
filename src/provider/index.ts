// The provider room's public surface.
export { buildCatalogue, builtInModels, type Catalogue } from './catalogue.ts';
export { createVideoClient, readAll, type VideoClient, type VideoDownload } from './client.ts';
export { abandonBody, errorFromThrown, longestRequestMs, mayHaveBeenAccepted } from './http.ts';
export { referenceUnreadableCode, tooManyReferencesCode } from './reference.ts';
export { createSimulatedClient } from './simulated.ts';
export * from './types.ts';
export * from './webhooks.ts';
