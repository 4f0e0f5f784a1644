import { TtvError } from './ttv-error.js';

/** A provider declined an image prompt on safety/moderation grounds; its reason (the vendor's words) stays out of the public message. */
export class ImageRefusedError extends TtvError {
  override readonly name = 'ImageRefusedError';
  constructor(
    readonly provider: string,
    readonly reason: string,
  ) {
    super(`${provider} refused the image prompt (${reason})`, {
      code: 'ImageRefusedError',
      publicMessage: `${provider} refused the image prompt`,
    });
  }
}
