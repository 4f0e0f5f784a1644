import { TtvError } from './ttv-error.js';

/** Invalid configuration: every problem names its key (dotted path, env var or flag) and what is wrong. */
export interface ConfigIssue {
  key: string;
  message: string;
  source?: string;
}

export class ConfigError extends TtvError {
  override readonly name = 'ConfigError';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.key}: ${i.message}${i.source ? ` (${i.source})` : ''}`).join('\n'), {
      code: 'ConfigError',
    });
    this.issues = issues;
  }
}
