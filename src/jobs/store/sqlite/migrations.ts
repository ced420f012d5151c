// Schema migrations, numbered by position and tracked with PRAGMA user_version.
import type { Database } from 'better-sqlite3';

export const migrations: readonly string[] = [
  // 1: jobs
  `CREATE TABLE jobs (
     id INTEGER PRIMARY KEY,
     remote_id TEXT,
     guild_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     application_id TEXT,
     interaction_id TEXT,
     interaction_token TEXT,
     interaction_created_at INTEGER,
     reply_message_id TEXT,
     ephemeral INTEGER NOT NULL DEFAULT 0,
     attachment_size_limit INTEGER,
     locale TEXT NOT NULL DEFAULT 'en-US',
     model TEXT NOT NULL,
     prompt TEXT NOT NULL,
     seconds INTEGER NOT NULL,
     size TEXT NOT NULL,
     reference_url TEXT,
     reference_name TEXT,
     remix_of_job_id INTEGER REFERENCES jobs(id),
     state TEXT NOT NULL,
     progress INTEGER NOT NULL DEFAULT 0,
     reports_progress INTEGER NOT NULL DEFAULT 0,
     error_kind TEXT,
     error_code TEXT,
     error_message TEXT,
     video_url TEXT,
     video_expires_at INTEGER,
     media_path TEXT,
     media_bytes INTEGER,
     charged INTEGER NOT NULL DEFAULT 1,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     completed_at INTEGER,
     delivered_at INTEGER,
     next_poll_at INTEGER,
     poll_attempts INTEGER NOT NULL DEFAULT 0,
     progress_changed_at INTEGER,
     delivery_attempts INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX jobs_due ON jobs (next_poll_at) WHERE next_poll_at IS NOT NULL;
   CREATE INDEX jobs_by_member ON jobs (guild_id, user_id, id DESC);
   CREATE INDEX jobs_by_state ON jobs (state);
   CREATE INDEX jobs_by_guild_time ON jobs (guild_id, created_at);
   CREATE UNIQUE INDEX jobs_by_remote ON jobs (remote_id) WHERE remote_id IS NOT NULL;`,
  // 2: per-guild settings (quota overrides, allowed channels, moderator role)
  `CREATE TABLE guild_settings (
     guild_id TEXT PRIMARY KEY,
     in_flight_per_user INTEGER,
     jobs_per_user_per_day INTEGER,
     seconds_per_day INTEGER,
     allowed_channel_ids TEXT NOT NULL DEFAULT '[]',
     moderator_role_id TEXT,
     updated_at INTEGER NOT NULL
   );`,
  // 3: moderation: blocked members and the audit log of every moderator and admin action
  `CREATE TABLE blocked_members (
     guild_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     blocked_by TEXT NOT NULL,
     reason TEXT,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (guild_id, user_id)
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY,
     guild_id TEXT NOT NULL,
     actor_id TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     details TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX audit_by_guild ON audit_log (guild_id, id DESC);`,
  // 4: polls are scheduled only for jobs waiting on the provider (the due index says so, so a
  // finished row can never look due); a claim is marked, so a restart brings forward claims but
  // not waits the provider asked for; a key/value table keeps the provider-wide 429 pause.
  `ALTER TABLE jobs ADD COLUMN claimed_at INTEGER;
   UPDATE jobs SET next_poll_at = NULL WHERE state NOT IN ('queued', 'in_progress');
   DROP INDEX jobs_due;
   CREATE INDEX jobs_due ON jobs (next_poll_at)
     WHERE next_poll_at IS NOT NULL AND state IN ('queued', 'in_progress');
   CREATE TABLE key_values (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  // 5: where a final edit posted (or was about to post) a new channel message or DM, so a
  // restart can find that post instead of posting again
  'ALTER TABLE jobs ADD COLUMN fallback_channel_id TEXT;',
  // 6: a random key per job, part of its kept files' names, of its signed links and of its buttons'
  // ids, so another database's files, links and cards (or those from before a reset) are never taken
  // for this job's. Files kept under the old names (by job number alone) are forgotten: nothing
  // proves whose they are. Rows made before keys keep accepting the cards the older version drew.
  `ALTER TABLE jobs ADD COLUMN media_key TEXT;
   ALTER TABLE jobs ADD COLUMN made_before_media_keys INTEGER NOT NULL DEFAULT 0;
   UPDATE jobs SET media_key = lower(hex(randomblob(16))), media_path = NULL, made_before_media_keys = 1;`,
  // 7: the reference image's size as decoded (WIDTHxHEIGHT), so the card can say it was fitted
  'ALTER TABLE jobs ADD COLUMN reference_size TEXT;',
  // 8: claims are leases that name their holder, for polls and for deliveries, so several processes
  // share the jobs; the first card's bound keeps other processes off a card still being drawn. A
  // claim left by the older version (claimed_at) becomes an expired lease: the next start takes it.
  `ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
   ALTER TABLE jobs ADD COLUMN claim_expires_at INTEGER;
   ALTER TABLE jobs ADD COLUMN delivery_claimed_by TEXT;
   ALTER TABLE jobs ADD COLUMN delivery_claim_expires_at INTEGER;
   ALTER TABLE jobs ADD COLUMN first_card_pending_until INTEGER;
   UPDATE jobs SET claimed_by = 'before-leases#0', claim_expires_at = claimed_at, next_poll_at = claimed_at
     WHERE claimed_at IS NOT NULL AND state IN ('queued', 'in_progress');
   ALTER TABLE jobs DROP COLUMN claimed_at;`,
  // 9: several reference images per job, as a JSON list of {url, name, size} (a list read and
  // written whole with its job: a child table would only add a join); a job made before reads as
  // its one image. Every job records where it came from (a command, a message, a Regenerate or
  // Remix of a job, a later take of a request) and which take of its request it is. A Regenerate
  // made before this version cannot be told from a command: it reads as one.
  `ALTER TABLE jobs ADD COLUMN reference_images TEXT NOT NULL DEFAULT '[]';
   UPDATE jobs SET reference_images = json_array(json_object(
       'url', reference_url, 'name', COALESCE(reference_name, 'reference.png'), 'size', reference_size))
     WHERE reference_url IS NOT NULL;
   ALTER TABLE jobs DROP COLUMN reference_url;
   ALTER TABLE jobs DROP COLUMN reference_name;
   ALTER TABLE jobs DROP COLUMN reference_size;
   ALTER TABLE jobs ADD COLUMN origin_kind TEXT NOT NULL DEFAULT 'command';
   ALTER TABLE jobs ADD COLUMN origin_job_id INTEGER REFERENCES jobs(id);
   ALTER TABLE jobs ADD COLUMN origin_channel_id TEXT;
   ALTER TABLE jobs ADD COLUMN origin_message_id TEXT;
   ALTER TABLE jobs ADD COLUMN origin_author_id TEXT;
   ALTER TABLE jobs ADD COLUMN origin_author_name TEXT;
   ALTER TABLE jobs ADD COLUMN request_id INTEGER;
   ALTER TABLE jobs ADD COLUMN take_index INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE jobs ADD COLUMN take_count INTEGER NOT NULL DEFAULT 1;
   UPDATE jobs SET origin_kind = 'remix', origin_job_id = remix_of_job_id WHERE remix_of_job_id IS NOT NULL;
   CREATE INDEX jobs_by_origin ON jobs (origin_job_id) WHERE origin_job_id IS NOT NULL;`,
  // 10: a team's workspace and a moderator's tools, and completion detection. Each job keeps the
  // thread its results go to, the server style it was made with (apart from the member's prompt),
  // which channel defaults filled it in, and who removed its video. A server's styles, its blocked
  // words (kept normalised, and as typed for the list), its refused prompts (counted, never
  // kept), and per-channel defaults, caps and thread setting. Provider webhooks: the ids already
  // applied (a replay is refused, also after a restart) and events for a video id not stored yet.
  // Generation times of finished jobs, per model, duration and size, for the learned schedule.
  `ALTER TABLE jobs ADD COLUMN thread_id TEXT;
   ALTER TABLE jobs ADD COLUMN style_name TEXT;
   ALTER TABLE jobs ADD COLUMN style_text TEXT;
   ALTER TABLE jobs ADD COLUMN style_placement TEXT;
   ALTER TABLE jobs ADD COLUMN defaults_applied TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE jobs ADD COLUMN removed_at INTEGER;
   ALTER TABLE jobs ADD COLUMN removed_by TEXT;
   ALTER TABLE jobs ADD COLUMN removed_by_role TEXT;
   CREATE TABLE guild_styles (
     guild_id TEXT NOT NULL,
     name_key TEXT NOT NULL,
     name TEXT NOT NULL,
     text TEXT NOT NULL,
     placement TEXT NOT NULL,
     model TEXT,
     size TEXT,
     seconds INTEGER,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (guild_id, name_key)
   );
   CREATE TABLE channel_settings (
     guild_id TEXT NOT NULL,
     channel_id TEXT NOT NULL,
     model TEXT,
     size TEXT,
     seconds INTEGER,
     style_name TEXT,
     threads INTEGER,
     max_seconds INTEGER,
     max_takes INTEGER,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (guild_id, channel_id)
   );
   CREATE TABLE blocked_words (
     guild_id TEXT NOT NULL,
     word_key TEXT NOT NULL,
     word TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (guild_id, word_key)
   );
   CREATE TABLE prompt_refusals (
     id INTEGER PRIMARY KEY,
     guild_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX prompt_refusals_by_guild_time ON prompt_refusals (guild_id, created_at);
   CREATE TABLE webhook_deliveries (
     webhook_id TEXT PRIMARY KEY,
     received_at INTEGER NOT NULL
   );
   CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
   CREATE TABLE webhook_pending (
     remote_id TEXT PRIMARY KEY,
     event TEXT NOT NULL,
     received_at INTEGER NOT NULL
   );
   CREATE TABLE generation_samples (
     id INTEGER PRIMARY KEY,
     model TEXT NOT NULL,
     seconds INTEGER NOT NULL,
     size TEXT NOT NULL,
     duration_ms INTEGER NOT NULL,
     finished_at INTEGER NOT NULL
   );
   CREATE INDEX generation_samples_by_kind ON generation_samples (model, seconds, size, id DESC);`,
];

export const latestVersion = migrations.length;

const schemaVersion = (db: Database) => db.pragma('user_version', { simple: true }) as number;

/**
 * Applies every migration newer than the file's user_version, each in its own transaction. Each
 * takes the write lock first and reads the version again: of two processes starting at once on
 * one file, the second finds the step done and skips it.
 */
export function migrate(db: Database, upTo = latestVersion): number {
  const current = schemaVersion(db);
  if (current > latestVersion) {
    throw new Error(
      `the database is at schema version ${current}, newer than this reelbot (${latestVersion}); upgrade reelbot`,
    );
  }
  for (let version = current; version < upTo; version++) {
    const sql = migrations[version];
    if (sql === undefined) break;
    db.transaction(() => {
      if (schemaVersion(db) > version) return;
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return schemaVersion(db);
}
