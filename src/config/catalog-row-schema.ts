// The shape of one model row of the catalog (src/catalog/vendors/*.json, and the config's `models:`
// list): what a vendor model renders, what it costs, how it is spelled on the wire, whether it is
// still offered, and where each fact was read. One schema for shipped and operator rows, so an
// operator row is checked exactly as strictly as a shipped one. Field names are snake_case, as in
// the files and the config.
import { z } from 'zod';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'must be a real date');
const aspect = z.string().regex(/^\d{1,2}:\d{1,2}$/, 'must look like 16:9');

/**
 * Aspect ratio ("16:9") → the value the vendor's wire format wants for it ("1280:720"); an empty
 * value means the request carries no ratio (the model renders that aspect by itself).
 */
export const ratioMapSchema = z
  .record(aspect, z.string())
  .refine((m) => Object.keys(m).length > 0, 'must name at least one aspect ratio');

/** Durations a model renders: an explicit list, or every whole second in a range. */
export const durationRuleSchema = z.union([
  z.object({ seconds: z.array(z.number().positive()).min(1) }).strict(),
  z
    .object({ min: z.number().positive(), max: z.number().positive() })
    .strict()
    .refine((r) => r.min <= r.max, 'min must not be above max'),
]);

/**
 * A model's lifecycle. `deprecated` is for a model with an announced shutdown date; a deprecation
 * notice without one leaves it `ga`, with the notice in `note`. `retired` models are refused.
 */
export const lifecycleSchema = z
  .object({
    status: z.enum(['ga', 'preview', 'deprecated', 'retired']),
    /** When the vendor made it available (shown as `created` by GET /v1/models). */
    released: isoDate.optional(),
    /** Announced shutdown (deprecated) or the date it was shut down (retired). */
    shutdown: isoDate.optional(),
    /** The model id the vendor names as its replacement. */
    replacement: z.string().min(1).optional(),
    note: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.status === 'deprecated' && !l.shutdown)
      ctx.addIssue({
        code: 'custom',
        path: ['shutdown'],
        message:
          'a deprecated model needs its announced shutdown date (without one it stays "ga", with the notice in note)',
      });
  });

/**
 * Vendor-specific wire details the generic fields cannot say. Strict: a misspelt key is an error,
 * not a silently unused one; a backend that needs a new key adds it here.
 */
export const wireSchema = z
  .object({
    /** fal: how the endpoint types `duration`: "6" (string), "8s" (seconds-suffix), or a number. */
    duration_format: z.enum(['string', 'seconds-suffix', 'number']).optional(),
    /** fal: input field of the first frame. */
    image_field: z.string().min(1).optional(),
    /** fal: input field of the last frame, where the endpoint has one. */
    last_frame_field: z.string().min(1).optional(),
    /** fal: input field of the aspect ratio, where the endpoint has one. */
    ratio_field: z.string().min(1).optional(),
    /** fal: input field that switches audio, where the endpoint has one. */
    audio_field: z.string().min(1).optional(),
    /**
     * fal, runway: input field of the resolution, where the model has one; ttv sends the row's first
     * `resolutions` entry in it (the one its price is for).
     */
    resolution_field: z.string().min(1).optional(),
    /** runway: the modes whose request carries the resolution field (both when left out). */
    resolution_modes: z
      .array(z.enum(['text', 'image']))
      .min(1)
      .optional(),
    /**
     * runway, minimax-v2: the ratio value sent when the image mode follows the frame ("adaptive",
     * "auto_720p"); without it, such a request carries no ratio.
     */
    follows_image_ratio: z.string().min(1).optional(),
    /** runway: the field a seed goes in, where the model takes one (runway_ml.seed is refused for the others). */
    seed_field: z.string().min(1).optional(),
    /** fal: the endpoint needs a last frame next to the first (the first-last-frame endpoints). */
    last_frame_required: z.boolean().optional(),
    /**
     * The vendor documents that it renders any asked size at its nearest supported one: the OpenAI
     * face's `size` is then taken whatever its pixels (sent as the nearest aspect ratio) instead of
     * refused unless it is a size the row renders (catalog/rendered-sizes.ts). Set only where the
     * vendor documents it.
     */
    maps_size_to_nearest: z.boolean().optional(),
  })
  .strict();

export const protocolSchema = z.enum([
  'runway-v1',
  'vertex-predict',
  'gemini-predict',
  'gemini-interactions',
  'vertex-interactions',
  'minimax-v1',
  'minimax-v2',
  'fal-queue',
]);

export const catalogRowSchema = z
  .object({
    /** The ttv backend that drives it (runway, veo3, minimax, fal, …). */
    backend: z.string().regex(/^[a-z0-9_.]+$/, 'must be a ttv backend id, like runway or veo3'),
    /** The vendor's model id as sent on the wire (a fal endpoint id for fal). */
    id: z
      .string()
      .min(1)
      .refine((s) => s.trim() === s, 'must not start or end with spaces'),
    /** The API protocol it is reached through. */
    protocol: protocolSchema,
    modes: z
      .object({
        /** Text-to-video ratios; null when the model needs an image. */
        text: ratioMapSchema.nullable(),
        /** Image-to-video ratios; 'follows-image' when the clip takes the frame's shape (no ratio sent). */
        image: z.union([ratioMapSchema, z.literal('follows-image')]).nullable(),
        /** Accepts a last frame next to the first. */
        first_last: z.boolean(),
      })
      .strict()
      .refine((m) => m.text !== null || m.image !== null, 'a model needs a text or an image mode'),
    /** Wire ratios the vendor also accepts that ttv does not choose (a second size for an aspect). */
    extra_wire_ratios: z.array(z.string().min(1)).optional(),
    durations: durationRuleSchema,
    /** Whether the request carries a duration field at all (some models render one fixed length). */
    duration_field: z.boolean(),
    /**
     * Output resolutions the vendor offers ("720p", "768P", …), where it has a choice. The first is
     * the one ttv asks for when the operator names none, and the one `usd_per_second` is for.
     */
    resolutions: z.array(z.string().min(1)).min(1).optional(),
    audio: z.enum(['none', 'optional', 'always']),
    /** List price in USD per second of video (audio off where that is cheaper). */
    usd_per_second: z.number().min(0),
    max_prompt_length: z.number().int().positive(),
    lifecycle: lifecycleSchema,
    /** Where the row's facts were read, and when. */
    source: z.object({ ref: z.string().min(1), read: isoDate }).strict(),
    wire: wireSchema.optional(),
  })
  .strict();

/** One vendor's file in src/catalog/vendors/. */
export const vendorCatalogFileSchema = z
  .object({
    vendor: z.string().regex(/^[a-z0-9-]+$/, 'must be a lower-case vendor name'),
    rows: z.array(catalogRowSchema),
  })
  .strict();

export type CatalogRow = z.infer<typeof catalogRowSchema>;
export type RatioMap = z.infer<typeof ratioMapSchema>;
export type DurationRule = z.infer<typeof durationRuleSchema>;
export type Lifecycle = z.infer<typeof lifecycleSchema>;
export type VendorCatalogFile = z.infer<typeof vendorCatalogFileSchema>;
