// One @google/genai client per clip, on Vertex AI (ttv's service-account token handed to the SDK
// as its auth client) or the Gemini API (the key), with every call run under ttv's retry policy
// and the job's signal through the backend's VendorClient. The SDK carries two error families:
// ApiError (models, operations, files) and the Interactions client's APIError subclasses
// (NotFoundError, RateLimitError, … — not exported, so recognised by shape: a numeric status and
// Google's error payload; APIConnectionError, APIConnectionTimeoutError and APIUserAbortError by
// name). Both are mapped to the status, Google's error body and Retry-After that VendorClient needs.
import type { GoogleGenAI } from '@google/genai';
import type { GenerateHooks } from '../types.js';
import { TtvError } from '../../errors/ttv-error.js';
import type { SdkFailure, VendorClient } from '../../http/vendor-client/vendor-client.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import type { ServiceAccountToken } from './service-account-token.js';
import { failedBeforeSending, type CreateRule } from '../../http/vendor-client/create-rule.js';

type GenAiModule = typeof import('@google/genai');
let genAi: GenAiModule | null = null;

/**
 * The SDK, imported on the first Google clip: it takes ~0.5 s of CPU to load, which every `ttv`
 * process that never calls Google (the default offline generator, the other vendors) would pay at start.
 */
export async function loadGenAi(): Promise<GenAiModule> {
  genAi ??= await import('@google/genai');
  return genAi;
}

/** Runs one SDK call under ttv's retry policy and the job's signal. */
export type SdkRun = <T>(call: (ai: GoogleGenAI, signal: AbortSignal) => Promise<T>) => Promise<T>;

/**
 * Google's creates (predictLongRunning, interactions.create) take no idempotency key. The Gemini API
 * troubleshooting page tells clients to retry 429 and 503 (UNAVAILABLE, overloaded); 500 and 504
 * may have been processed (Google's status codes: "NOT A GUARANTEE that the server has not seen
 * anything"), so they are not sent again (https://ai.google.dev/gemini-api/docs/troubleshooting,
 * https://grpc.github.io/grpc/core/md_doc_statuscodes.html, read 2026-12-06).
 */
export const GOOGLE_CREATE_RULE: CreateRule = {
  retryableStatuses: [503],
  source: 'https://ai.google.dev/gemini-api/docs/troubleshooting',
};

export interface GoogleGenAiSession {
  ai: GoogleGenAI;
  run: SdkRun;
  /** `run` for a create call (a payment): repeated only under GOOGLE_CREATE_RULE. */
  runCreate: SdkRun;
}

export type GoogleApi =
  | { kind: 'vertex'; host: string; project: string; location: string; oauth: ServiceAccountToken }
  | { kind: 'gemini'; base: string; apiKey: string };

/** An Interactions API error as the SDK throws it. */
interface InteractionsApiError {
  name: string;
  status?: number;
  /** The parsed answer: Google's envelope under `error` (beside the SDK's own httpMeta). */
  error?: { error?: unknown } | null;
  headers?: Headers;
}

/** Google's {error:{code,message,status}} of an Interactions API error, without the SDK's extras. */
function googleErrorBody(err: InteractionsApiError): unknown {
  const envelope = err.error?.error;
  return envelope && typeof envelope === 'object' ? { error: envelope } : null;
}

/** The status, body and Retry-After of an SDK error; null when it is not an HTTP or network error. */
export function classifyGoogleSdkError(err: unknown, lastAnswer: Response | null): SdkFailure | null {
  // ttv's own errors from inside an SDK call (the service-account token's) pass through as they are.
  if (err instanceof TtvError) return null;
  // (An SDK error exists only once the SDK is loaded.)
  if (genAi && err instanceof genAi.ApiError) {
    let body: unknown = null;
    try {
      body = JSON.parse(err.message);
    } catch {
      body = { message: err.message };
    }
    return { status: err.status, body, retryAfter: lastAnswer?.headers.get('retry-after') ?? null };
  }
  const e = err as InteractionsApiError | null;
  if (e && typeof e.status === 'number' && e.status >= 400) {
    return { status: e.status, body: googleErrorBody(e), retryAfter: e.headers?.get?.('retry-after') ?? null };
  }
  // The attempt's own deadline fired (the job's signal is checked before this is asked).
  if (e?.name === 'APIUserAbortError' || e?.name === 'APIConnectionTimeoutError' || e?.name === 'TimeoutError')
    return { status: null, timeout: true };
  if (e?.name === 'APIConnectionError' || err instanceof TypeError)
    return failedBeforeSending(err) ? { status: null, notSent: true } : { status: null };
  return null;
}

/** The SDK client for one clip; the last raw answer is kept for the Retry-After of an ApiError. */
export async function googleGenAiSession(
  api: GoogleApi,
  client: VendorClient,
  settings: RemoteSettings,
  hooks: GenerateHooks,
): Promise<GoogleGenAiSession> {
  const { GoogleGenAI } = await loadGenAi();
  let last: Response | null = null;
  const fetchKeepingLast = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    last = await fetch(input, init);
    return last;
  };
  const ai =
    api.kind === 'vertex'
      ? new GoogleGenAI({
          vertexai: true,
          project: api.project,
          location: api.location,
          httpOptions: { baseUrl: api.host, fetch: fetchKeepingLast },
          // ttv's own token (service-account JWT at the key file's token_uri, see service-account-token.ts).
          googleAuthOptions: {
            authClient: {
              getRequestHeaders: async () =>
                new Headers({
                  authorization: `Bearer ${await api.oauth.token(hooks.signal, settings.maxRetries, settings.retryBaseMs, hooks.log)}`,
                }),
            } as never,
          },
        })
      : new GoogleGenAI({ apiKey: api.apiKey, httpOptions: { baseUrl: api.base, fetch: fetchKeepingLast } });
  const run: SdkRun = (call) =>
    client.sdk(
      (signal) => call(ai, signal),
      (err) => classifyGoogleSdkError(err, last),
      { signal: hooks.signal, log: hooks.log },
    );
  const runCreate: SdkRun = (call) =>
    client.sdk(
      (signal) => call(ai, signal),
      (err) => classifyGoogleSdkError(err, last),
      { signal: hooks.signal, log: hooks.log, create: GOOGLE_CREATE_RULE },
    );
  return { ai, run, runCreate };
}
