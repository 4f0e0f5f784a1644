// The body ttv builds for every Runway catalog row, in every mode and aspect the row offers, is one
// Runway accepts: the Runway fake's check (the installed @runwayml/sdk's own params type for the
// model, plus Runway's documented rules) finds nothing wrong with it. A row that promises a ratio,
// a resolution or a frame layout the SDK does not type fails here.
import { describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import { runwayRequestBody } from '../../../src/generators/runway/runway-request-body.js';
import { runwayBodyIssues } from '../../fakes/runway/fake-runway-server.js';
import { samplePng } from '../../fakes/shared/fake-http-server.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A 640x360 PNG: keyframes as ttv renders them by default (h3_max wants 256 px or more per side). */
function framePng(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ttv-frame-'));
  try {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=640x360:d=1',
      '-frames:v',
      '1',
      join(dir, 'f.png'),
    ]);
    return `data:image/png;base64,${readFileSync(join(dir, 'f.png')).toString('base64')}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const frame = framePng();
const rows = shippedCatalog().rowsFor('runway');

describe('runwayRequestBody', () => {
  it('covers every video model of the SDK that the catalog lists', () => {
    expect(rows.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'gen4_turbo',
        'gen4.5',
        'veo3.1',
        'veo3.1_fast',
        'hailuo3',
        'happyhorse_1_0',
        'seedance2',
        'seedance2_fast',
        'seedance2_mini',
        'seedance2_5',
        'gemini_omni_flash',
        'gemini_omni_flash_1.1',
        'grok_imagine_1_5',
        'wan3',
        'wan3_prime',
        'h3_max',
      ]),
    );
  });

  for (const row of rows) {
    it(`${row.id}: every mode, aspect and duration the row offers is a body Runway accepts`, () => {
      const durations = allowedDurations(row.durations);
      const seconds = [durations[0]!, durations[durations.length - 1]!];
      const cases: { mode: string; input: Parameters<typeof runwayRequestBody>[1] }[] = [];
      for (const s of seconds) {
        if (row.modes.text)
          for (const aspect of Object.keys(row.modes.text))
            cases.push({
              mode: 'text',
              input: { prompt: 'A kite.', durationSeconds: s, aspectRatio: aspect, seed: 7 },
            });
        if (row.modes.image) {
          const aspects = row.modes.image === 'follows-image' ? ['16:9', '9:16'] : Object.keys(row.modes.image);
          for (const aspect of aspects) {
            cases.push({
              mode: 'image',
              input: { prompt: 'A kite.', durationSeconds: s, aspectRatio: aspect, firstFrame: frame, seed: 7 },
            });
            if (row.modes.first_last)
              cases.push({
                mode: 'first+last',
                input: {
                  prompt: 'A kite.',
                  durationSeconds: s,
                  aspectRatio: aspect,
                  firstFrame: frame,
                  lastFrame: frame,
                },
              });
          }
        }
      }
      expect(cases.length).toBeGreaterThan(0);
      for (const { mode, input } of cases) {
        const { endpoint, body } = runwayRequestBody(row, input);
        expect(endpoint).toBe(mode === 'text' ? 'text_to_video' : 'image_to_video');
        expect({ mode, aspect: input.aspectRatio, issues: runwayBodyIssues(`/v1/${endpoint}`, body) }).toEqual({
          mode,
          aspect: input.aspectRatio,
          issues: [],
        });
        if (mode === 'first+last')
          expect(body.promptImage).toEqual([
            { uri: frame, position: 'first' },
            { uri: frame, position: 'last' },
          ]);
      }
    });
  }

  it('spells each model its own way: resolution, a ratio that follows the frame, no ratio, no seed', () => {
    const row = (id: string) => rows.find((r) => r.id === id)!;
    const image = { prompt: 'x', durationSeconds: 5, aspectRatio: '9:16', firstFrame: frame };
    expect(
      runwayRequestBody(row('hailuo3'), { prompt: 'x', durationSeconds: 6, aspectRatio: '9:16' }).body,
    ).toMatchObject({ ratio: '9:16', resolution: '768p' });
    expect(runwayRequestBody(row('hailuo3'), { ...image, durationSeconds: 6 }).body).toMatchObject({
      ratio: 'adaptive',
      resolution: '768p',
    });
    expect(runwayRequestBody(row('wan3'), image).body).toMatchObject({ ratio: 'auto_720p' });
    expect(runwayRequestBody(row('wan3'), { prompt: 'x', durationSeconds: 5, aspectRatio: '9:16' }).body).toMatchObject(
      { ratio: '720:1280' },
    );
    const happyText = runwayRequestBody(row('happyhorse_1_0'), {
      prompt: 'x',
      durationSeconds: 5,
      aspectRatio: '4:3',
    }).body;
    expect(happyText).toMatchObject({ ratio: '1108:832' });
    expect(happyText).not.toHaveProperty('resolution');
    const happyImage = runwayRequestBody(row('happyhorse_1_0'), image).body;
    expect(happyImage).toMatchObject({ resolution: '720p' });
    expect(happyImage).not.toHaveProperty('ratio');
    const h3 = runwayRequestBody(row('h3_max'), { prompt: 'x', durationSeconds: 6, aspectRatio: '16:9', seed: 3 }).body;
    expect(h3).toEqual({ model: 'h3_max', promptText: 'x', duration: 6, resolution: '768p', seed: 3 });
    expect(
      runwayRequestBody(row('grok_imagine_1_5'), { prompt: 'x', durationSeconds: 5, seed: 3 }).body,
    ).not.toHaveProperty('seed');
    expect(
      runwayRequestBody(row('seedance2'), { prompt: 'x', durationSeconds: 5, aspectRatio: '21:9' }).body,
    ).toMatchObject({ ratio: '1470:630' });
    // gen4_turbo with a configured default ratio, no aspect asked: the operator's choice.
    expect(
      runwayRequestBody(row('gen4_turbo'), {
        prompt: 'x',
        durationSeconds: 5,
        firstFrame: frame,
        defaultRatio: '960:960',
      }).body,
    ).toMatchObject({ ratio: '960:960' });
  });

  it('a frame under 256 px is one h3_max refuses (the fake says so; ttv frames are 640x360 by default)', () => {
    const small = `data:image/png;base64,${samplePng().toString('base64')}`;
    const { body } = runwayRequestBody(
      rows.find((r) => r.id === 'h3_max')!,
      { prompt: 'x', durationSeconds: 6, firstFrame: small },
    );
    expect(runwayBodyIssues('/v1/image_to_video', body).join()).toMatch(/at least 256 pixels/);
  });
});
