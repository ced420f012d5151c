// `npm run backup`: SQLite's online copy, while the bot runs (a PostgreSQL database is backed up
// with pg_dump instead, as the README says). The bot runs against the fakes on the SQLite file.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupDatabase } from '../../../src/backup.ts';
import { type Harness, isUpload, prompt, startHarness } from '../../e2e/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('backups of the SQLite file', () => {
  it('copies the database online into a file that opens with every job', async () => {
    harness = await startHarness();
    expect(harness.bot.store.kind).toBe('sqlite');
    const { token } = harness.command({ options: [prompt('back me up')] });
    await harness.discord.waitForCall(isUpload(token), 15_000);
    const destination = join(harness.dir, 'backups', 'copy.db');
    await backupDatabase(join(harness.dir, 'reelbot.db'), destination);
    const copy = new BetterSqlite3(destination, { readonly: true });
    expect(copy.prepare('SELECT prompt FROM jobs').all()).toEqual([{ prompt: 'back me up' }]);
    copy.close();
  });
});
