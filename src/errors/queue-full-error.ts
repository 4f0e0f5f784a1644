import { countNoun } from '../text/count-noun.js';
import { TtvError } from './ttv-error.js';

/** A submission refused because the store (global) or the submitting key (owner) has too many queued jobs. */
export class QueueFullError extends TtvError {
  override readonly name = 'QueueFullError';
  constructor(readonly scope: 'global' | 'owner', readonly queued: number, readonly limit: number) {
    super(scope === 'global' ? `The queue is full (${countNoun(queued, 'job')} queued, limit ${limit})` : `This key has ${countNoun(queued, 'job')} queued (limit ${limit})`, { retryable: true });
  }
}
