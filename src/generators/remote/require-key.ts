// A remote backend cannot be built without its key: say which config key holds it.
import { GenerationError } from '../../errors/generation-error.js';

export function requireKey(backend: string, configKey: string, value: string | undefined): string {
  if (!value) throw new GenerationError(backend, 'config', `${configKey} is required for the ${backend} backend`);
  return value;
}
