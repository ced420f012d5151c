// Why the PostgreSQL store could not be opened, in one sentence that names DATABASE_URL and says
// what to fix. The URL's password is never part of it: only the host, port, user and database.
import { StoreUnavailableError } from '../contract.ts';
import { DatabaseSettingError } from '../settingError.ts';

/** The parts of DATABASE_URL a sentence may name. */
interface Target {
  host: string;
  where: string;
  user: string;
  database: string;
}

const exampleUrl = 'postgres://reelbot:PASSWORD@db.example.com:5432/reelbot';

/** The URL as `new URL` reads it, or undefined when it is not a postgres:// URL at all. */
export function postgresUrl(url: string): URL | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  return parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:' ? parsed : undefined;
}

export function notPostgresUrl(): DatabaseSettingError {
  return new DatabaseSettingError(
    `DATABASE_URL must be a postgres:// or postgresql:// URL, such as ${exampleUrl}`,
  );
}

function targetOf(url: URL): Target {
  const host = decodeURIComponent(url.hostname) || 'localhost';
  return {
    host,
    where: `${host}:${url.port || '5432'}`,
    user: decodeURIComponent(url.username) || 'the default user',
    database: decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres',
  };
}

function codeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return error.errors.map(codeOf).find(Boolean);
  return error.cause === undefined ? undefined : codeOf(error.cause);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function sentenceFor(error: unknown, target: Target): string {
  const { host, where, user, database } = target;
  const code = codeOf(error);
  switch (code) {
    case 'ECONNREFUSED':
      return `DATABASE_URL points at ${where}, where no PostgreSQL server accepts connections (connection refused): start it, or correct the host and port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DATABASE_URL names the host ${host}, which cannot be found (no such name): correct the host name`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `DATABASE_URL points at ${where}, which cannot be reached (${code}): check the host, the port and the network between`;
    case '28P01':
      return `DATABASE_URL's user "${user}" was refused by ${where}: the password is wrong, or there is no such user`;
    case '28000':
      return `DATABASE_URL's user "${user}" may not connect to the database "${database}" at ${where} (the server says: ${messageOf(error)})`;
    case '3D000':
      return `DATABASE_URL names the database "${database}", which does not exist on ${where}: create it (CREATE DATABASE ${database}) or correct the name`;
    case '42501':
      return `DATABASE_URL's user "${user}" may not create or use reelbot's tables in the database "${database}" (${messageOf(error)}): make it the database's owner, or grant it CREATE and USAGE on the schema`;
  }
  if (/timeout/i.test(messageOf(error))) {
    return `DATABASE_URL points at ${where}, which did not answer in time: check the host, the port and the network between`;
  }
  return `DATABASE_URL: the PostgreSQL store at ${where} could not be opened (${messageOf(error)})`;
}

/** Every spelling of the URL's password a message could carry, longest first. */
function passwordsIn(url: string): string[] {
  // As written (up to the last @ of the part before the path), as the URL parser keeps it, decoded.
  const written = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@[^@/]*(\/|$)/i.exec(url)?.[1];
  const parsed = URL.canParse(url) ? new URL(url).password : '';
  const spellings = new Set<string>();
  for (const spelling of [written, parsed]) {
    if (!spelling) continue;
    spellings.add(spelling);
    try {
      spellings.add(decodeURIComponent(spelling));
    } catch {
      // not percent-encoded: the spelling as it is is the only one
    }
  }
  return [...spellings].sort((a, b) => b.length - a.length);
}

/** The password of DATABASE_URL, as the URL spells it and decoded, for the logger to scrub. */
export function databasePassword(url: string | undefined): string[] {
  return url ? passwordsIn(url) : [];
}

/** Removes the password of `url` from `text`, however it was spelled there. */
export function withoutPassword(text: string, url: string): string {
  return passwordsIn(url).reduce((clean, password) => clean.split(password).join('***'), text);
}

/** The DatabaseSettingError that says why opening the store at `url` failed. */
export function openFailure(error: unknown, url: string): DatabaseSettingError {
  const parsed = postgresUrl(url);
  if (!parsed) return notPostgresUrl();
  // A server out of reach arrives wrapped; the driver's error under it says how.
  const cause = error instanceof StoreUnavailableError ? error.cause : error;
  const sentence =
    cause instanceof DatabaseSettingError ? cause.message : sentenceFor(cause, targetOf(parsed));
  // No cause attached: a logger printing the error's causes could print what they carry.
  return new DatabaseSettingError(withoutPassword(sentence, url));
}
