// The wire format of the video API, in all the spellings gateways use, normalised into VideoJob.
import { z } from 'zod';
import { ProviderError, type VideoJob, type VideoStatus } from './types.ts';

const statusSpellings: Record<string, VideoStatus> = {
  queued: 'queued',
  pending: 'queued',
  submitted: 'queued',
  not_started: 'queued',
  in_progress: 'in_progress',
  processing: 'in_progress',
  running: 'in_progress',
  generating: 'in_progress',
  completed: 'completed',
  success: 'completed',
  succeeded: 'completed',
  done: 'completed',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  cancelled: 'failed',
  canceled: 'failed',
};

const looseNumber = z.union([z.number(), z.string().regex(/^\s*\d+(\.\d+)?\s*$/)]).transform(Number);
const optionalNumber = looseNumber.nullish().catch(null);
const optionalString = z.string().nullish().catch(null);

const rawError = z.union([
  z.string().transform((message) => ({ code: null, message })),
  z
    .looseObject({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() })
    .transform((error) => ({
      code: error.code == null ? null : String(error.code),
      message: error.message ?? (error.code == null ? 'unknown error' : String(error.code)),
    })),
]);

const rawVideo = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  progress: optionalNumber,
  model: optionalString,
  prompt: optionalString,
  seconds: optionalNumber,
  size: optionalString,
  created_at: optionalNumber,
  completed_at: optionalNumber,
  expires_at: optionalNumber,
  video_url: optionalString,
  url: optionalString,
  result: z.looseObject({ video_url: optionalString, url: optionalString }).nullish().catch(null),
  error: rawError.nullish().catch({ code: null, message: 'unreadable error' }),
  remixed_from_video_id: optionalString,
});

export function normaliseVideo(body: unknown): VideoJob {
  const parsed = rawVideo.safeParse(body);
  if (!parsed.success) {
    throw new ProviderError(
      'bad_response',
      `the video API answered with an object reelbot cannot read: ${summarise(parsed.error)}`,
    );
  }
  const raw = parsed.data;
  const status = statusSpellings[raw.status.trim().toLowerCase()];
  if (!status)
    throw new ProviderError('bad_response', `the video API reported an unknown status "${raw.status}"`);
  const reportsProgress = raw.progress != null;
  const progress = status === 'completed' ? 100 : clamp(raw.progress ?? 0, 0, 100);
  return {
    id: raw.id,
    status,
    progress,
    reportsProgress,
    model: raw.model ?? null,
    prompt: raw.prompt ?? null,
    seconds: raw.seconds ?? null,
    size: raw.size ?? null,
    createdAt: raw.created_at ?? null,
    completedAt: raw.completed_at ?? null,
    expiresAt: raw.expires_at ?? null,
    videoUrl: raw.video_url ?? raw.result?.video_url ?? raw.result?.url ?? raw.url ?? null,
    error:
      status === 'failed' ? (raw.error ?? { code: null, message: 'the provider did not say why' }) : null,
    remixedFromVideoId: raw.remixed_from_video_id ?? null,
  };
}

const rawList = z.looseObject({
  data: z.array(z.unknown()),
  has_more: z.boolean().nullish(),
  last_id: z.string().nullish(),
});

export function normaliseList(body: unknown): {
  videos: VideoJob[];
  hasMore: boolean;
  lastId: string | null;
} {
  const parsed = rawList.safeParse(body);
  if (!parsed.success)
    throw new ProviderError('bad_response', `the video list could not be read: ${summarise(parsed.error)}`);
  const videos = parsed.data.data.map(normaliseVideo);
  return {
    videos,
    hasMore: parsed.data.has_more ?? false,
    lastId: parsed.data.last_id ?? videos.at(-1)?.id ?? null,
  };
}

/** OpenAI-style error bodies: {error: {message, type, code}}, and the looser shapes gateways send. */
const rawErrorBody = z.looseObject({
  error: z
    .union([
      z.string().transform((message) => ({ message, type: null, code: null })),
      z.looseObject({
        message: z.string().nullish(),
        type: z.string().nullish(),
        code: z.union([z.string(), z.number()]).nullish(),
      }),
    ])
    .optional(),
  message: z.string().nullish(),
});

export interface ErrorBody {
  message: string | null;
  type: string | null;
  code: string | null;
}

export function parseErrorBody(body: unknown): ErrorBody {
  const parsed = rawErrorBody.safeParse(body);
  if (!parsed.success) return { message: null, type: null, code: null };
  const error = parsed.data.error;
  return {
    message: error?.message ?? parsed.data.message ?? null,
    type: error?.type ?? null,
    code: error?.code == null ? null : String(error.code),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

function summarise(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
}
