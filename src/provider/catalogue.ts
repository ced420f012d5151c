// The models reelbot can offer, and how each one takes its options and reference image.
import { z } from 'zod';
import type { ModelSpec } from './types.ts';

const veoSizes = ['1280x720', '720x1280', '1920x1080', '1080x1920'];
const soraSizes = ['1280x720', '720x1280'];
const soraProSizes = ['1280x720', '720x1280', '1792x1024', '1024x1792'];

/**
 * Built in. The veo models are what the default gateway serves. OpenAI announced that its own
 * Sora API shuts down on 2026-09-24, so the sora-2 entries are known but opt-in: only gateways
 * that still route them can serve them (enable with VIDEO_MODELS=...,sora-2).
 */
export const builtInModels: readonly ModelSpec[] = [
  {
    id: 'veo-3.1-fast-generate-preview',
    label: 'Veo 3.1 Fast',
    seconds: [4, 6, 8],
    sizes: veoSizes,
    referenceShape: 'url_array',
    referenceMustMatchSize: false,
    animatedReference: false,
    supportsRemix: false,
    maxReferenceImages: 3,
    secondsAsString: false,
    enabled: true,
  },
  {
    id: 'veo-3.1-generate-preview',
    label: 'Veo 3.1',
    seconds: [4, 6, 8],
    sizes: veoSizes,
    referenceShape: 'url_array',
    referenceMustMatchSize: false,
    animatedReference: false,
    supportsRemix: false,
    maxReferenceImages: 3,
    secondsAsString: false,
    enabled: true,
  },
  {
    id: 'sora-2',
    label: 'Sora 2',
    seconds: [4, 8, 12],
    sizes: soraSizes,
    referenceShape: 'multipart',
    referenceMustMatchSize: true,
    animatedReference: false,
    supportsRemix: true,
    maxReferenceImages: 1,
    secondsAsString: true,
    enabled: false,
  },
  {
    id: 'sora-2-pro',
    label: 'Sora 2 Pro',
    seconds: [4, 8, 12],
    sizes: soraProSizes,
    referenceShape: 'multipart',
    referenceMustMatchSize: true,
    animatedReference: false,
    supportsRemix: true,
    maxReferenceImages: 1,
    secondsAsString: true,
    enabled: false,
  },
];

/** The durations and sides a custom model may have: generated clips last seconds, at video sizes. */
const secondsBounds = { min: 1, max: 120 };
const sideBounds = { min: 64, max: 8_192 };
const secondsProblem = `must be a whole number from ${secondsBounds.min} to ${secondsBounds.max} seconds: generated videos last seconds, not minutes`;
const sideProblem = `each side must be from ${sideBounds.min} to ${sideBounds.max} pixels (like 1280x720): smaller is no video, and no model makes larger`;
const sizePattern = /^\d+x\d+$/;
/** The most reference images /video takes (image, image2, image3), as the gateway's veo route does. */
export const maxReferenceImages = 3;
const referenceCountProblem = `must be a whole number from 0 to ${maxReferenceImages}: how many reference images one video may have (0: none)`;

const sidesWithin = (size: string) =>
  size.split('x').every((side) => Number(side) >= sideBounds.min && Number(side) <= sideBounds.max);

/** A custom model described in VIDEO_MODELS_JSON, for gateways that add models we do not know. */
export const modelSpecSchema = z
  .object({
    id: z.string().min(1),
    label: z.string().min(1).optional(),
    seconds: z
      .array(
        z
          .number({ error: secondsProblem })
          .int(secondsProblem)
          .min(secondsBounds.min, secondsProblem)
          .max(secondsBounds.max, secondsProblem),
      )
      .min(1),
    sizes: z
      .array(
        z
          .string()
          .regex(sizePattern, 'sizes look like 1280x720')
          // A size of the wrong shape is named by the pattern above; this one bounds its sides.
          .refine((size) => !sizePattern.test(size) || sidesWithin(size), sideProblem),
      )
      .min(1),
    referenceShape: z.enum(['multipart', 'image_url', 'url_array']).default('url_array'),
    referenceMustMatchSize: z.boolean().default(false),
    animatedReference: z.boolean().default(false),
    supportsRemix: z.boolean().default(false),
    secondsAsString: z.boolean().default(false),
    maxReferenceImages: z
      .number({ error: referenceCountProblem })
      .int(referenceCountProblem)
      .min(0, referenceCountProblem)
      .max(maxReferenceImages, referenceCountProblem)
      .default(1),
  })
  .refine((model) => model.maxReferenceImages <= 1 || model.referenceShape === 'url_array', {
    message: `can be more than 1 only with "referenceShape": "url_array": a file upload or {image_url} carries one image`,
    path: ['maxReferenceImages'],
  });

export interface Catalogue {
  /** The models offered in /video, in display order. */
  offered: readonly ModelSpec[];
  defaultModel: ModelSpec;
  find(id: string): ModelSpec | undefined;
}

/**
 * Builds the catalogue from the built-in models plus custom ones, keeping only `enabledIds`
 * (all enabled-by-default models when empty). Returns problems instead of throwing, so
 * config can report every mistake at once.
 */
export function buildCatalogue(input: {
  enabledIds: string[];
  custom: z.infer<typeof modelSpecSchema>[];
  defaultModelId: string;
}): { catalogue?: Catalogue; problems: string[] } {
  const known = new Map<string, ModelSpec>();
  for (const model of builtInModels) known.set(model.id, model);
  for (const custom of input.custom) {
    known.set(custom.id, { ...custom, label: custom.label ?? custom.id, enabled: true });
  }

  const problems: string[] = [];
  let offered: ModelSpec[];
  if (input.enabledIds.length === 0) {
    offered = [...known.values()].filter((model) => model.enabled);
  } else {
    offered = [];
    for (const id of input.enabledIds) {
      const model = known.get(id);
      if (model) offered.push({ ...model, enabled: true });
      else
        problems.push(
          `VIDEO_MODELS names an unknown model "${id}" (known: ${[...known.keys()].join(', ')}; describe new ones in VIDEO_MODELS_JSON)`,
        );
    }
  }
  const defaultModel = offered.find((model) => model.id === input.defaultModelId);
  if (!defaultModel) {
    problems.push(
      `VIDEO_DEFAULT_MODEL "${input.defaultModelId}" is not among the offered models (${offered.map((m) => m.id).join(', ') || 'none'})`,
    );
  }
  if (problems.length > 0 || !defaultModel) return { problems };
  const byId = new Map(offered.map((model) => [model.id, model]));
  return { catalogue: { offered, defaultModel, find: (id) => byId.get(id) }, problems };
}
