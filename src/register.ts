// `npm run register`: a composition root of its own, so it alone (with src/main.ts) knows commands/.
import { commandSet } from '../commands/index.ts';
import { registerFromSettings } from './discord/register.ts';

await registerFromSettings(commandSet.commands);
