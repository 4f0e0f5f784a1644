// The signing secret of a job's own webhook is derived, never stored: HMAC-SHA256 of the job id under
// a master key (webhooks.job_signing_secret, else <data_dir>/webhook.key), so the job record holds no
// secret and any process with the master key signs with the same one. The client gets it once, in
// the 202 answer.
import { createHmac } from 'node:crypto';
import type { AppConfig } from '../config/schema.js';
import { keptKeyFile } from '../config/kept-key-file.js';

export type JobSecretFor = (jobId: string) => string;

export function jobWebhookSecrets(config: AppConfig): JobSecretFor {
  let master: Buffer | null = config.webhooks.job_signing_secret
    ? Buffer.from(config.webhooks.job_signing_secret, 'utf8')
    : null;
  return (jobId) => {
    master ??= keptKeyFile(config.data_dir, 'webhook.key');
    // Standard Webhooks form: "whsec_" + base64 of the key bytes.
    return `whsec_${createHmac('sha256', master).update(`ttv job webhook:${jobId}`).digest('base64')}`;
  };
}
