// Checks a /video request against the model catalogue before anything costs money. Pure.
import type { Catalogue, ModelSpec } from '../provider/index.ts';

export const maxPromptLength = 1_000;
/** The most videos one request makes from the same settings, each its own take. */
export const maxTakes = 4;
/** Largest reference image accepted, in bytes. */
export const maxReferenceBytes = 10 * 1024 * 1024;

export interface VideoOptions {
  prompt: string;
  model?: string | null;
  seconds?: number | null;
  size?: string | null;
  /** How many videos of these settings (1 to maxTakes); 1 when not given. */
  takes?: number | null;
  /** How many reference images the member gave. */
  referenceImages?: number;
}

export type VideoProblem =
  | { problem: 'prompt_empty' }
  | { problem: 'prompt_too_long'; length: number; max: number }
  | { problem: 'unknown_model'; model: string; allowed: readonly string[] }
  | { problem: 'bad_duration'; model: string; seconds: number; allowed: readonly number[] }
  | { problem: 'bad_size'; model: string; size: string; allowed: readonly string[] }
  | { problem: 'bad_takes'; takes: number; max: number }
  /** The model takes `max` images (maybe none), and the member gave `count`. */
  | { problem: 'too_many_references'; model: string; count: number; max: number };

export interface ValidVideoRequest {
  prompt: string;
  model: ModelSpec;
  seconds: number;
  size: string;
  takes: number;
}

/** The duration used when a member picks none: the model's middle option (6 s for veo). */
export function defaultSeconds(model: ModelSpec): number {
  return model.seconds[Math.floor((model.seconds.length - 1) / 2)] ?? model.seconds[0] ?? 4;
}

/** Zero-width spaces and joiners, word joiners, Hangul fillers…: characters that show nothing. */
const invisibleAtEnds = /^[\s\p{Default_Ignorable_Code_Point}]+|[\s\p{Default_Ignorable_Code_Point}]+$/gu;
const invisible = /\p{Default_Ignorable_Code_Point}/gu;
const letterOrDigit = /[\p{L}\p{N}]/u;

/** The prompt as it is sent and stored: NFKC-normalised, without blank or invisible characters at its ends. */
export function normalisePrompt(text: string): string {
  return text.normalize('NFKC').replace(invisibleAtEnds, '');
}

/**
 * True when the prompt shows at least one letter or digit. A prompt of only zero-width or
 * blank-looking characters (U+200B, U+2060, U+3164 Hangul filler, U+2800 Braille blank…) passes
 * `trim()` but describes nothing: it counts as empty, so it is never sent and billed.
 */
export function hasVisibleText(prompt: string): boolean {
  return letterOrDigit.test(prompt.normalize('NFKC').replace(invisible, ''));
}

export type PromptProblem = Extract<VideoProblem, { problem: 'prompt_empty' | 'prompt_too_long' }>;

/** Every path that takes a prompt (/video, the Remix modal, Regenerate) checks it here. */
export function checkPrompt(text: string): { ok: true; prompt: string } | ({ ok: false } & PromptProblem) {
  const prompt = normalisePrompt(text);
  if (!hasVisibleText(prompt)) return { ok: false, problem: 'prompt_empty' };
  const length = [...prompt].length;
  if (length > maxPromptLength)
    return { ok: false, problem: 'prompt_too_long', length, max: maxPromptLength };
  return { ok: true, prompt };
}

export function validateVideoOptions(
  options: VideoOptions,
  catalogue: Catalogue,
): { ok: true; value: ValidVideoRequest } | ({ ok: false } & VideoProblem) {
  const checked = checkPrompt(options.prompt);
  if (!checked.ok) return checked;
  const prompt = checked.prompt;

  const modelId = options.model?.trim() || catalogue.defaultModel.id;
  const model = catalogue.find(modelId);
  if (!model) {
    return {
      ok: false,
      problem: 'unknown_model',
      model: modelId,
      allowed: catalogue.offered.map((m) => m.id),
    };
  }
  const seconds = options.seconds ?? defaultSeconds(model);
  if (!model.seconds.includes(seconds)) {
    return {
      ok: false,
      problem: 'bad_duration',
      model: model.id,
      seconds,
      allowed: model.seconds,
    };
  }
  const size = (options.size ?? model.sizes[0] ?? '').replace('×', 'x').trim();
  if (!model.sizes.includes(size)) {
    return { ok: false, problem: 'bad_size', model: model.id, size, allowed: model.sizes };
  }
  const takes = options.takes ?? 1;
  if (!Number.isInteger(takes) || takes < 1 || takes > maxTakes) {
    return { ok: false, problem: 'bad_takes', takes, max: maxTakes };
  }
  const count = options.referenceImages ?? 0;
  if (count > model.maxReferenceImages) {
    return {
      ok: false,
      problem: 'too_many_references',
      model: model.id,
      count,
      max: model.maxReferenceImages,
    };
  }
  return { ok: true, value: { prompt, model, seconds, size, takes } };
}

const imageSignatures: { type: string; test: (bytes: Uint8Array) => boolean }[] = [
  { type: 'image/png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 },
  {
    type: 'image/webp',
    test: (b) =>
      String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' &&
      String.fromCharCode(...b.subarray(8, 12)) === 'WEBP',
  },
];

/** The image type by content (magic bytes), or null when the bytes are not an image we accept. */
export function sniffImageType(bytes: Uint8Array): string | null {
  return imageSignatures.find((signature) => signature.test(bytes))?.type ?? null;
}
