// Audit lines in the process log (component "audit"): key created, key revoked, use denied. They
// name the key id and the client address, never a secret or a hash of one.
import type { Logger } from 'pino';

export type AuditEvent = 'key.created' | 'key.revoked' | 'access.denied';

export function audit(logger: Logger | undefined, event: AuditEvent, fields: Record<string, unknown>): void {
  logger?.child({ component: 'audit' }).info({ event, ...fields }, `audit: ${event}`);
}
