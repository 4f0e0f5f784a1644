// Standard Webhooks signatures: HMAC-SHA256 over "{id}.{timestamp}.{body}", sent as "v1,<base64>".
import { createHmac } from 'node:crypto';

/** The HMAC key of a secret: "whsec_<base64>" decodes to bytes, any other string is used as UTF-8. */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', webhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
