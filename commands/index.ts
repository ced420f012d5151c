// Every command, button and modal the bot answers. The composition root (src/main.ts, and
// src/register.ts for `npm run register`) hands this list to the router and to registration.
import type { CommandSet } from '../src/discord/commandContract.ts';
import { jobButtons, remixModal } from '../src/discord/jobButtons.ts';
import * as admin from './admin.ts';
import * as history from './history.ts';
import * as makeVideo from './makeVideo.ts';
import * as quota from './quota.ts';
import * as video from './video.ts';

export const commandSet: CommandSet = {
  commands: [video.command, makeVideo.command, history.command, quota.command, admin.command],
  buttons: [jobButtons, history.historyButtons],
  modals: [remixModal, makeVideo.makeVideoModal],
};
