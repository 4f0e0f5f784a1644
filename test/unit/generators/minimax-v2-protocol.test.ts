// MiniMax V2's body, base URL and error mapping on their own; whole jobs are in
// test/integration/generators/minimax-v2.test.ts. Every body built from the shipped rows is one the
// V2 fake's rules (written from MiniMax's reference, not the catalog) accept.
import { describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { VendorError } from '../../../src/errors/vendor-error.js';
import {
  minimaxApiRoot,
  minimaxV2Body,
  minimaxV2Failure,
  minimaxV2TaskFailure,
} from '../../../src/generators/minimax/minimax-v2-protocol.js';
import { minimaxV2BodyIssues } from '../../fakes/minimax/minimax-v2-rules.js';

const frame = 'data:image/png;base64,iVBORw0KGgo=';
const v2Rows = shippedCatalog()
  .rowsFor('minimax')
  .filter((r) => r.protocol === 'minimax-v2');

describe('minimaxV2Body', () => {
  it('covers MiniMax-H3 and MiniMax-H3-Max', () => {
    expect(v2Rows.map((r) => r.id)).toEqual(['MiniMax-H3', 'MiniMax-H3-Max']);
  });

  for (const row of v2Rows) {
    it(`${row.id}: every duration, aspect, resolution and frame layout the row offers is a body MiniMax accepts`, () => {
      for (const s of allowedDurations(row.durations)) {
        for (const resolution of row.resolutions!) {
          for (const aspect of Object.keys(row.modes.text!)) {
            expect(
              minimaxV2BodyIssues(
                minimaxV2Body(row, { prompt: 'A kite.', durationSeconds: s, aspectRatio: aspect, resolution }),
              ),
            ).toEqual([]);
          }
          expect(
            minimaxV2BodyIssues(
              minimaxV2Body(row, { prompt: 'A kite.', durationSeconds: s, resolution, firstFrame: frame }),
            ),
          ).toEqual([]);
          expect(
            minimaxV2BodyIssues(
              minimaxV2Body(row, {
                prompt: 'A kite.',
                durationSeconds: s,
                resolution,
                firstFrame: frame,
                lastFrame: frame,
              }),
            ),
          ).toEqual([]);
        }
      }
    });
  }

  it('text alone gets the aspect, frames get "adaptive" and their roles, the resolution defaults to the row\'s first', () => {
    const h3 = v2Rows[0]!;
    expect(minimaxV2Body(h3, { prompt: 'x', durationSeconds: 6, aspectRatio: '9:16' })).toEqual({
      model: 'MiniMax-H3',
      content: [{ type: 'text', text: 'x' }],
      resolution: '768P',
      duration: 6,
      ratio: '9:16',
    });
    expect(
      minimaxV2Body(h3, {
        prompt: 'x',
        durationSeconds: 6,
        aspectRatio: '9:16',
        resolution: '2K',
        firstFrame: 'a',
        lastFrame: 'b',
      }),
    ).toEqual({
      model: 'MiniMax-H3',
      content: [
        { type: 'text', text: 'x' },
        { type: 'image_url', image_url: { url: 'a' }, role: 'first_frame' },
        { type: 'image_url', image_url: { url: 'b' }, role: 'last_frame' },
      ],
      resolution: '2K',
      duration: 6,
      ratio: 'adaptive',
    });
  });
});

describe('minimaxApiRoot', () => {
  it.each([
    ['https://api.minimax.io/v1', 'https://api.minimax.io'],
    ['https://api.minimax.io/v1/', 'https://api.minimax.io'],
    ['https://api.minimaxi.com', 'https://api.minimaxi.com'],
    ['https://proxy.example/minimax/v1', 'https://proxy.example/minimax'],
  ])('%s → %s', (base, root) => {
    expect(minimaxApiRoot(base)).toBe(root);
  });
});

describe('V2 errors', () => {
  const http = (status: number, type: string, message: string) =>
    new VendorError('minimax', status, message, false, {
      type: 'error',
      error: { type, message, http_code: String(status) },
    });
  it('maps a wrong key and no balance to config, sensitive input to a refusal, leaves 429/5xx to the retry policy', () => {
    const auth = minimaxV2Failure(http(401, 'authorized_error', 'login fail (1004)'), 'task creation');
    expect(auth).toBeInstanceOf(GenerationError);
    expect((auth as GenerationError).failure).toBe('config');
    expect(
      (minimaxV2Failure(http(402, 'insufficient_balance_error', 'insufficient balance (1008)'), 'x') as GenerationError)
        .failure,
    ).toBe('config');
    expect(
      (minimaxV2Failure(http(422, 'unprocessable_entity_error', 'input new_sensitive (1026)'), 'x') as GenerationError)
        .failure,
    ).toBe('refused');
    expect(
      (minimaxV2Failure(http(400, 'bad_request_error', 'invalid params (2013)'), 'x') as GenerationError).failure,
    ).toBe('invalid');
    const busy = http(529, 'overloaded_error', 'overloaded');
    expect(minimaxV2Failure(busy, 'x')).toBe(busy);
  });

  it('a failed task with a sensitive-output code is a refusal; cancelled and expired say so', () => {
    expect(
      minimaxV2TaskFailure({ status: 'failed', error: { code: '1027', message: 'output new_sensitive' } }, '7').failure,
    ).toBe('refused');
    const failed = minimaxV2TaskFailure({ status: 'failed', error: { code: '1024', message: 'internal error' } }, '7');
    expect(failed.message).toBe('minimax: task 7 failed: internal error, code 1024');
    expect(failed.publicMessage).toBe('minimax: task 7 failed');
    expect(minimaxV2TaskFailure({ status: 'expired' }, '7').message).toMatch(/expired on MiniMax's side/);
  });
});
