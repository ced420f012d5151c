// The one clean shape of a video job that the rest of reelbot sees, whatever gateway is behind it.

export const videoStatuses = ['queued', 'in_progress', 'completed', 'failed'] as const;
export type VideoStatus = (typeof videoStatuses)[number];

export interface VideoJob {
  id: string;
  status: VideoStatus;
  /** 0–100; 0 when the upstream does not report progress. */
  progress: number;
  /** True when the response carried a progress figure at all. */
  reportsProgress: boolean;
  model: string | null;
  prompt: string | null;
  seconds: number | null;
  size: string | null;
  /** Unix seconds, as the API sends them. */
  createdAt: number | null;
  completedAt: number | null;
  expiresAt: number | null;
  /** A direct link to the finished file, when the gateway gives one (it usually expires). */
  videoUrl: string | null;
  error: { code: string | null; message: string } | null;
  remixedFromVideoId: string | null;
}

/** How a model wants its reference image. */
export type ReferenceShape = 'multipart' | 'image_url' | 'url_array';

export interface ModelSpec {
  id: string;
  /** Human label shown in Discord. */
  label: string;
  seconds: number[];
  sizes: string[];
  referenceShape: ReferenceShape;
  /** The official contract rejects a reference whose size differs from `size`: resize it first. */
  referenceMustMatchSize: boolean;
  /**
   * Takes an animated reference (a GIF or WebP of several frames). False for every model known:
   * they use the image as a still (the look, or the first frame), so an animation is refused.
   */
  animatedReference: boolean;
  supportsRemix: boolean;
  /**
   * How many reference images one video may have: 0 (none), 1, or up to 3 for the URL array (the
   * gateway's veo route takes 1 to 3). A single file or `{image_url}` carries one.
   */
  maxReferenceImages: number;
  /** The official contract takes `seconds` as a string ("8"); the gateway's veo route as an integer. */
  secondsAsString: boolean;
  /** Offered in /video. Opt-in entries are known but hidden until configured. */
  enabled: boolean;
}

/** A reference image, as the member attached it. */
export interface ReferenceImage {
  /** A public URL (Discord's CDN link of the attachment), used by the JSON shapes. */
  url: string;
  /** The bytes, when already downloaded: needed for multipart uploads. */
  bytes?: Uint8Array;
  contentType?: string;
  fileName?: string;
}

export interface CreateVideoRequest {
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  /** The reference images, in order: at most the model's `maxReferenceImages`. */
  references?: readonly ReferenceImage[];
  /** Sent as Idempotency-Key so a retried create is never billed twice. */
  idempotencyKey?: string;
}

export type ProviderErrorKind =
  | 'bad_key'
  | 'invalid_request'
  | 'moderation'
  | 'rate_limited'
  | 'quota'
  | 'not_found'
  /** The provider does not (or no longer) serve the model asked for: retired, unknown there. */
  | 'model_unavailable'
  | 'provider_down'
  | 'timeout'
  | 'network'
  | 'bad_response'
  /** A download that is not the file asked for: JSON, HTML or text, cut short, or not a video. */
  | 'bad_content'
  | 'too_large';

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly status: number | null;
  readonly code: string | null;
  /** Milliseconds the provider asked us to wait (429 / 503 Retry-After). */
  readonly retryAfterMs: number | null;
  /**
   * The message is the provider's own words (its error body), which may echo the member's prompt:
   * the log writes it only at debug (see src/log.ts).
   */
  readonly quotesProvider: boolean;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    details: {
      status?: number | null;
      code?: string | null;
      retryAfterMs?: number | null;
      quotesProvider?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = details.status ?? null;
    this.code = details.code ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.quotesProvider = details.quotesProvider ?? false;
  }

  /** Worth trying again later without changing the request. */
  get transient(): boolean {
    return ['rate_limited', 'provider_down', 'timeout', 'network'].includes(this.kind);
  }
}
