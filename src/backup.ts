// `npm run backup [file]`: an online backup of the job database while the bot keeps running.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadToolConfig } from './config.ts';

export async function backupDatabase(source: string, destination: string): Promise<{ pages: number }> {
  mkdirSync(dirname(destination), { recursive: true });
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true });
  try {
    // better-sqlite3's backup copies page by page and lets writers in between, so the bot need not stop.
    const result = await db.backup(destination);
    return { pages: result.totalPages };
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { databasePath } = loadToolConfig();
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..+$/, '');
  const destination = process.argv[2] ?? join(dirname(databasePath), 'backups', `reelbot-${stamp}.db`);
  const { pages } = await backupDatabase(databasePath, destination);
  process.stdout.write(`Backed up ${databasePath} to ${destination} (${pages} pages).\n`);
}
