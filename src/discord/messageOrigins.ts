// Which member's message a Make a video job came from, for its card's "from a message by …" line.
// Kept in the store's shared values (no column of its own yet), and read into memory so rendering
// stays synchronous: written by the process that made the job, loaded at start for the jobs still
// running, and looked up in the background for a job another process made, for its next render.
import type { Logger } from 'pino';
import type { Job, JobStore } from '../jobs/index.ts';

export interface MessageOrigin {
  channelId: string;
  messageId: string;
  /** Who wrote the message (not who asked for the video). */
  authorId: string;
}

export interface MessageOrigins {
  record(jobId: number, origin: MessageOrigin): Promise<void>;
  /** The job's origin when known here; an unknown job is looked up for its next render. */
  of(job: Pick<Job, 'id'>): MessageOrigin | undefined;
  /** Reads the origins of `jobIds` into memory (at start, for the jobs still running). */
  load(jobIds: readonly number[]): Promise<void>;
}

const key = (jobId: number) => `message-origin:${jobId}`;

function parse(value: string | null): MessageOrigin | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(value) as Partial<MessageOrigin>;
    const ids = [parsed.channelId, parsed.messageId, parsed.authorId];
    if (!ids.every((id) => typeof id === 'string' && /^\d{1,20}$/.test(id))) return null;
    return parsed as MessageOrigin;
  } catch {
    return null;
  }
}

/** Jobs remembered at most (the oldest looked-up go first); a running job is rendered often, an old one rarely. */
const maxRemembered = 10_000;

export function createMessageOrigins(
  store: Pick<JobStore, 'readValue' | 'writeValue'>,
  logger: Logger,
): MessageOrigins {
  /** Null: looked up, none (a /video job). */
  const known = new Map<number, MessageOrigin | null>();
  const lookingUp = new Map<number, Promise<void>>();

  function remember(jobId: number, origin: MessageOrigin | null): void {
    known.delete(jobId);
    known.set(jobId, origin);
    for (const oldest of known.keys()) {
      if (known.size <= maxRemembered) break;
      known.delete(oldest);
    }
  }

  function lookUp(jobId: number): Promise<void> {
    const pending = lookingUp.get(jobId);
    if (pending) return pending;
    const read = Promise.resolve()
      .then(() => store.readValue(key(jobId)))
      .then((value) => {
        if (!known.has(jobId)) remember(jobId, parse(value));
      })
      .catch((error: unknown) =>
        logger.debug({ err: error, jobId }, 'could not read the job’s message origin'),
      )
      .finally(() => lookingUp.delete(jobId));
    lookingUp.set(jobId, read);
    return read;
  }

  return {
    async record(jobId, origin) {
      remember(jobId, origin);
      await store.writeValue(key(jobId), JSON.stringify(origin));
    },
    of(job) {
      if (known.has(job.id)) return known.get(job.id) ?? undefined;
      void lookUp(job.id);
      return undefined;
    },
    async load(jobIds) {
      await Promise.all(jobIds.filter((id) => !known.has(id)).map(lookUp));
    },
  };
}
