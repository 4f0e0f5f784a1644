// Keeps the model catalog honest against the installed vendor SDKs, read with the TypeScript
// compiler: every video model of @runwayml/sdk's create unions and every Veo / Gemini Omni id that
// @google/genai types has a row (or a reasoned exclusion), so an SDK upgrade that adds a model fails
// here until it is catalogued; every Runway row is a model of the SDK with the modes, ratios,
// durations and frame positions its params type allows; and every fal endpoint the catalog lists is
// a key of @fal-ai/client's EndpointTypeMap whose input has the fields the row's `wire` names (fal
// hosts over a thousand endpoints, so that direction is the one checked).
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { acceptedWireRatios, allowedDurations } from '../../../src/catalog/model-rules.js';
import { falDuration } from '../../../src/generators/fal/fal-video-generator.js';
import { SdkTypes } from '../../support/sdk-types.js';

const modulePath = (path: string) => fileURLToPath(new URL(`../../../node_modules/${path}`, import.meta.url));

const RUNWAY = {
  text: { file: modulePath('@runwayml/sdk/resources/text-to-video.d.ts'), union: 'TextToVideoCreateParams' },
  image: { file: modulePath('@runwayml/sdk/resources/image-to-video.d.ts'), union: 'ImageToVideoCreateParams' },
  video: { file: modulePath('@runwayml/sdk/resources/video-to-video.d.ts'), union: 'VideoToVideoCreateParams' },
} as const;
const GENAI = modulePath('@google/genai/dist/node/node.d.ts');
const FAL = modulePath('@fal-ai/client/src/types/endpoints.d.ts');

/**
 * PENDING: video models the SDKs type that have no row YET. Issue 28's vendor work adds them; each
 * helper that adds a model's row removes it here (the test fails while a listed id has a row, so
 * the list cannot go stale). Not a place for models ttv will not offer: those go in EXCLUDED.
 */
const PENDING_RUNWAY: string[] = [];
const PENDING_GOOGLE: string[] = [];

/** Models deliberately without a row, and why. */
const EXCLUDED_RUNWAY: Record<string, string> = {
  aleph2: 'video-to-video only (it edits an input video); ttv renders clips from text or a first frame',
  // Not in the unions this test reads, for the same reason (docs/vendors.md): act_two
  // (character_performance), gwm1_avatars (avatar_videos), magnific_video_upscaler_creative and
  // enhance_frame_rate (video_upscale), ruby (video_to_hdr) all start from a video.
};
const EXCLUDED_GOOGLE: Record<string, string> = {};

let runway: SdkTypes;
let genai: SdkTypes;
let fal: SdkTypes;

beforeAll(() => {
  runway = new SdkTypes(Object.values(RUNWAY).map((r) => r.file));
  genai = new SdkTypes([GENAI]);
  fal = new SdkTypes([FAL]);
});

/** Runway's params interface per model id, for one create union. */
function runwayModels(mode: keyof typeof RUNWAY): Map<string, ts.Type> {
  const out = new Map<string, ts.Type>();
  for (const member of runway.members(runway.exported(RUNWAY[mode].file, RUNWAY[mode].union))) {
    const model = runway.literals(runway.property(member, 'model')!);
    expect(model, `${RUNWAY[mode].union} member without a literal model`).toHaveLength(1);
    out.set(String(model![0]), member);
  }
  return out;
}

/** Every string literal type written in a declaration file (comments are not looked at). */
function stringLiteralTypes(types: SdkTypes, file: string): string[] {
  const source = (types as unknown as { program: ts.Program }).program.getSourceFile(file)!;
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) out.push(node.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('Runway (@runwayml/sdk)', () => {
  it('every video model of the text and image create unions has a row, or is pending or excluded', () => {
    const sdk = new Set([...runwayModels('text').keys(), ...runwayModels('image').keys()]);
    const uncatalogued = [...sdk].filter(
      (id) => !shippedCatalog().find('runway', id) && !PENDING_RUNWAY.includes(id) && !(id in EXCLUDED_RUNWAY),
    );
    expect(uncatalogued, 'add a row to src/catalog/vendors/runway.json (or a reasoned exclusion here)').toEqual([]);
    // video-to-video models that render from text or a frame too are covered above; the rest are excluded by name.
    const videoOnly = [...runwayModels('video').keys()].filter((id) => !sdk.has(id));
    expect(videoOnly.filter((id) => !(id in EXCLUDED_RUNWAY))).toEqual([]);
  });

  it('the pending and excluded lists are current: none has a row, each is still in the SDK', () => {
    const sdk = new Set([
      ...runwayModels('text').keys(),
      ...runwayModels('image').keys(),
      ...runwayModels('video').keys(),
    ]);
    for (const id of [...PENDING_RUNWAY, ...Object.keys(EXCLUDED_RUNWAY)]) {
      expect(shippedCatalog().find('runway', id), `${id} has a row now: remove it from the list`).toBeUndefined();
      expect(sdk.has(id), `${id} is no longer in @runwayml/sdk`).toBe(true);
    }
  });

  it('every Runway row is an SDK model with the modes, ratios, durations and frame positions its params type allows', () => {
    const text = runwayModels('text');
    const image = runwayModels('image');
    for (const row of shippedCatalog().rowsFor('runway')) {
      expect(text.has(row.id) || image.has(row.id), `${row.id} is not a model of @runwayml/sdk`).toBe(true);
      expect(row.modes.text !== null, `${row.id}: text mode ⇔ TextToVideoCreateParams`).toBe(text.has(row.id));
      expect(row.modes.image !== null, `${row.id}: image mode ⇔ ImageToVideoCreateParams`).toBe(image.has(row.id));
      for (const [mode, params] of [
        ['text', text.get(row.id)],
        ['image', image.get(row.id)],
      ] as const) {
        if (!params) continue;
        // What the row sends as `ratio` in this mode: its map's values (an empty one sends none), or
        // the fixed value of a mode that follows the frame.
        const follows =
          mode === 'image' && row.modes.image === 'follows-image' ? row.wire?.follows_image_ratio : undefined;
        const sent = [...acceptedWireRatios(row, mode), ...(follows ? [follows] : [])].filter(Boolean);
        const ratio = runway.property(params, 'ratio');
        if (!ratio) expect(sent, `${row.id} ${mode}: the params type has no ratio, so the row sends none`).toEqual([]);
        const ratios = ratio ? runway.literals(ratio) : null;
        if (ratios) expect(ratios, `${row.id} ${mode} ratios`).toEqual(expect.arrayContaining(sent));
        const resolutionField = row.wire?.resolution_field;
        if (resolutionField && (row.wire?.resolution_modes ?? ['text', 'image']).includes(mode)) {
          const resolution = runway.property(params, resolutionField);
          expect(resolution, `${row.id} ${mode}: a ${resolutionField} param`).toBeDefined();
          expect(runway.literals(resolution!), `${row.id} ${mode} resolutions`).toEqual(
            expect.arrayContaining(row.resolutions ?? []),
          );
        }
        expect(runway.property(params, 'seed') !== undefined, `${row.id}: wire.seed_field ⇔ a seed param`).toBe(
          row.wire?.seed_field === 'seed',
        );
        const duration = runway.property(params, 'duration');
        const durations = duration ? runway.literals(duration) : null;
        if (durations)
          expect(durations, `${row.id} ${mode} durations`).toEqual(
            expect.arrayContaining(allowedDurations(row.durations)),
          );
        expect(duration !== undefined, `${row.id}: duration_field ⇔ a duration param`).toBe(row.duration_field);
        // 'optional': an audio switch; 'always' (the model renders its own sound) and 'none' have none.
        expect(runway.property(params, 'audio') !== undefined, `${row.id}: audio optional ⇔ an audio param`).toBe(
          row.audio === 'optional',
        );
        if (mode === 'image') {
          const list = runway
            .members(runway.property(params, 'promptImage')!)
            .map((m) => runway.arrayElement(m))
            .find(Boolean);
          const position = list ? runway.property(list, 'position') : undefined;
          // `Array<unknown>` (hailuo3, wan3, wan3_prime): the first/last keyframe positions are in the
          // SDK's doc comment, not its type; the Runway fake checks them (runway-model-rules.ts).
          const untyped = list !== undefined && position === undefined && (list.flags & ts.TypeFlags.Unknown) !== 0;
          const positions = !list ? ['first'] : position ? runway.literals(position) : null;
          if (!untyped)
            expect(positions?.includes('last'), `${row.id}: first_last ⇔ promptImage position 'last'`).toBe(
              row.modes.first_last,
            );
        }
      }
    }
  });
});

describe('Google (@google/genai)', () => {
  it('every Veo and Gemini Omni id the SDK types has a row, or is pending or excluded', () => {
    const ids = [...new Set(stringLiteralTypes(genai, GENAI).filter((s) => /^(veo-|gemini-omni)/.test(s)))];
    expect(ids, 'the SDK types still name Gemini Omni').toContain('gemini-omni-1.1-flash');
    const catalogued = (id: string) => !!shippedCatalog().find('veo3', id);
    expect(
      ids.filter((id) => !catalogued(id) && !PENDING_GOOGLE.includes(id) && !(id in EXCLUDED_GOOGLE)),
      'add a row to google-vertex.json / gemini-api.json',
    ).toEqual([]);
    for (const id of [...PENDING_GOOGLE, ...Object.keys(EXCLUDED_GOOGLE)]) {
      expect(catalogued(id), `${id} has a row now: remove it from the list`).toBe(false);
      expect(ids, `${id} is no longer in @google/genai`).toContain(id);
    }
  });
});

describe('fal (@fal-ai/client)', () => {
  it('every catalogued endpoint is in EndpointTypeMap, with the input fields and literal values its row uses', () => {
    const map = fal.exported(FAL, 'EndpointTypeMap');
    const rows = shippedCatalog().rowsFor('fal');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const endpoint = fal.property(map, row.id);
      expect(endpoint, `${row.id} is not an endpoint of @fal-ai/client's EndpointTypeMap`).toBeDefined();
      const input = fal.property(endpoint!, 'input')!;
      const fields = fal.propertyNames(input);
      const wire = row.wire ?? {};
      const used = [
        'prompt',
        ...(row.duration_field ? ['duration'] : []),
        wire.image_field,
        wire.last_frame_field,
        wire.ratio_field,
        wire.audio_field,
        wire.resolution_field,
      ].filter((f): f is string => !!f);
      expect(fields, `${row.id} input fields`).toEqual(expect.arrayContaining(used));
      if (row.duration_field) {
        const permitted = fal.literals(fal.property(input, 'duration')!);
        if (permitted)
          expect(permitted, `${row.id} duration values`).toEqual(
            expect.arrayContaining(allowedDurations(row.durations).map((d) => falDuration(row, d))),
          );
      }
      if (wire.ratio_field) {
        const permitted = fal.literals(fal.property(input, wire.ratio_field)!);
        const sent = [...acceptedWireRatios(row, 'text'), ...acceptedWireRatios(row, 'image')].filter(Boolean);
        if (permitted) expect(permitted, `${row.id} ${wire.ratio_field} values`).toEqual(expect.arrayContaining(sent));
      }
      if (row.modes.first_last)
        expect(wire.last_frame_field, `${row.id}: first_last needs wire.last_frame_field`).toBeDefined();
      if (row.modes.image !== null)
        expect(wire.image_field, `${row.id}: an image mode needs wire.image_field`).toBeDefined();
    }
  });
});
