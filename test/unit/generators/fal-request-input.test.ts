// The input ttv builds for every fal catalog row, in every mode, aspect and duration the row
// offers, is one the endpoint's own input type in @fal-ai/client's EndpointTypeMap allows (the fal
// fake's check: required fields, literal values, no field the type does not name). A row that names
// an endpoint the client does not know, a field it does not have, or a duration spelling it does not
// type fails here.
import { describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import { falRequestInput } from '../../../src/generators/fal/fal-request-input.js';
import { falEndpointInput, falInputIssues } from '../../fakes/fal/fake-fal-server.js';

const frame = 'data:image/png;base64,iVBORw0KGgo=';
const rows = shippedCatalog().rowsFor('fal');

describe('falRequestInput', () => {
  it('lists the current video endpoints: Kling 2.5 turbo, 2.6 and 3, Hailuo 2.3, Veo 3.1 (standard, fast, first-last), Seedance', () => {
    expect(rows.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'fal-ai/kling-video/v2.5-turbo/pro/image-to-video',
        'fal-ai/kling-video/v2.6/pro/image-to-video',
        'fal-ai/kling-video/v3/pro/image-to-video',
        'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
        'fal-ai/veo3.1',
        'fal-ai/veo3.1/image-to-video',
        'fal-ai/veo3.1/first-last-frame-to-video',
        'fal-ai/veo3.1/fast',
        'fal-ai/bytedance/seedance/v1.5/pro/image-to-video',
      ]),
    );
  });

  for (const row of rows) {
    it(`${row.id}: exists in the client's EndpointTypeMap and every input ttv builds fits its type`, () => {
      const shape = falEndpointInput(row.id);
      expect(shape, `${row.id} is not an endpoint of @fal-ai/client's EndpointTypeMap`).toBeDefined();
      const durations = allowedDurations(row.durations);
      const inputs: Record<string, unknown>[] = [];
      for (const s of durations) {
        if (row.modes.text)
          for (const aspect of Object.keys(row.modes.text))
            inputs.push(falRequestInput(row, { prompt: 'A kite.', durationSeconds: s, aspectRatio: aspect }));
        if (row.modes.image) {
          const aspects = row.modes.image === 'follows-image' ? ['16:9', '9:16'] : Object.keys(row.modes.image);
          for (const aspect of aspects) {
            if (!row.wire?.last_frame_required)
              inputs.push(
                falRequestInput(row, { prompt: 'A kite.', durationSeconds: s, aspectRatio: aspect, firstFrame: frame }),
              );
            if (row.modes.first_last)
              inputs.push(
                falRequestInput(row, {
                  prompt: 'A kite.',
                  durationSeconds: s,
                  aspectRatio: aspect,
                  firstFrame: frame,
                  lastFrame: frame,
                }),
              );
          }
        }
      }
      expect(inputs.length).toBeGreaterThan(0);
      for (const input of inputs)
        expect({ input, issues: falInputIssues(shape!, input) }).toEqual({ input, issues: [] });
    });
  }

  it('spells each endpoint its own way', () => {
    const row = (id: string) => rows.find((r) => r.id === id)!;
    expect(
      falRequestInput(row('fal-ai/kling-video/v3/pro/image-to-video'), {
        prompt: 'x',
        durationSeconds: 12,
        firstFrame: 'a',
        lastFrame: 'b',
      }),
    ).toEqual({ prompt: 'x', duration: '12', start_image_url: 'a', end_image_url: 'b' });
    expect(
      falRequestInput(row('fal-ai/kling-video/v2.5-turbo/pro/image-to-video'), {
        prompt: 'x',
        durationSeconds: 10,
        firstFrame: 'a',
        lastFrame: 'b',
      }),
    ).toEqual({ prompt: 'x', duration: '10', image_url: 'a', tail_image_url: 'b' });
    expect(
      falRequestInput(row('fal-ai/veo3.1/first-last-frame-to-video'), {
        prompt: 'x',
        durationSeconds: 6,
        aspectRatio: '9:16',
        firstFrame: 'a',
        lastFrame: 'b',
      }),
    ).toEqual({
      prompt: 'x',
      duration: '6s',
      first_frame_url: 'a',
      last_frame_url: 'b',
      aspect_ratio: '9:16',
      resolution: '720p',
    });
    // Hailuo 2.3 Pro renders one fixed length and has no duration field.
    expect(
      falRequestInput(row('fal-ai/minimax/hailuo-2.3/pro/image-to-video'), {
        prompt: 'x',
        durationSeconds: 6,
        firstFrame: 'a',
      }),
    ).toEqual({ prompt: 'x', image_url: 'a' });
    // The operator's own choice in fal.default_input wins over the row's resolution.
    expect(
      falRequestInput(
        row('fal-ai/veo3.1'),
        { prompt: 'x', durationSeconds: 8 },
        { resolution: '1080p', generate_audio: false },
      ),
    ).toEqual({ prompt: 'x', duration: '8s', aspect_ratio: '16:9', resolution: '1080p', generate_audio: false });
  });
});
