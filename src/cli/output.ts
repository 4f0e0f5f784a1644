// What the `ttv` command prints goes through the same redaction as every other sink (process log,
// job log, SSE, webhook lines): a job error, a log line or a vendor message echoed by the server
// never shows a token, key or signed-URL parameter on the terminal either.
import { redactText, registerSecrets } from '../logging/redact.js';

export const writeOut = (text: string): boolean => process.stdout.write(redactText(text));
export const writeErr = (text: string): boolean => process.stderr.write(redactText(text));

/** Secrets this invocation holds (a --token, the loaded config's secrets), scrubbed from its output. */
export function hideInOutput(secrets: readonly (string | undefined)[]): void {
  registerSecrets(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4));
}
