// A job row as the store returns it, for the pure rendering and notifier tests; a messenger that
// only records what would be shown.
import type { JobMessenger } from '../../src/discord/messenger.ts';
import type { Job } from '../../src/jobs/index.ts';

export const createdAt = Date.UTC(2026, 10, 24, 12, 0, 0);

export function jobFixture(overrides: Partial<Job> = {}): Job {
  return {
    id: 7,
    remoteId: 'video_abc',
    guildId: '100000000000000001',
    channelId: '200000000000000001',
    userId: '300000000000000001',
    applicationId: '400000000000000001',
    interactionId: '500000000000000001',
    interactionToken: 'token',
    interactionCreatedAt: createdAt,
    replyMessageId: '600000000000000001',
    ephemeral: false,
    attachmentSizeLimit: 10 * 1024 * 1024,
    locale: 'en-US',
    model: 'veo-3.1-fast-generate-preview',
    prompt: 'A cinematic lion at sunset',
    seconds: 6,
    size: '1280x720',
    referenceImages: [],
    remixOfJobId: null,
    originKind: 'command',
    originJobId: null,
    originChannelId: null,
    originMessageId: null,
    originAuthorId: null,
    originAuthorName: null,
    requestId: null,
    takeIndex: 1,
    takeCount: 1,
    state: 'in_progress',
    progress: 42,
    reportsProgress: true,
    errorKind: null,
    errorCode: null,
    errorMessage: null,
    videoUrl: null,
    videoExpiresAt: null,
    mediaPath: null,
    mediaBytes: null,
    charged: true,
    createdAt,
    updatedAt: createdAt + 30_000,
    completedAt: null,
    deliveredAt: null,
    nextPollAt: null,
    pollAttempts: 0,
    progressChangedAt: null,
    deliveryAttempts: 0,
    fallbackChannelId: null,
    mediaKey: '0123456789abcdef0123456789abcdef',
    madeBeforeMediaKeys: false,
    firstCardPendingUntil: null,
    threadId: null,
    styleName: null,
    styleText: null,
    stylePlacement: null,
    defaultsApplied: [],
    removedAt: null,
    removedBy: null,
    removedByRole: null,
    ...overrides,
  };
}

/** A messenger whose edits go to `edit` (a test's record of the card), and whose other calls find nothing. */
export function recordingMessenger(edit: JobMessenger['edit']): JobMessenger {
  return {
    edit,
    async reply() {
      return null;
    },
    async postInThread() {
      return null;
    },
    async notify() {},
    async fetch() {
      return null;
    },
    async findFallback() {
      return null;
    },
  };
}
