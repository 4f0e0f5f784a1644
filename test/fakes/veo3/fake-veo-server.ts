// A protocol-faithful Google Veo, both ways Google serves it, plus what they need around them:
// - OAuth token endpoint (POST /token): a jwt-bearer grant whose RS256 assertion is verified with
//   the service account's public key (iss, aud, scope, expiry), answering an access token;
// - Vertex AI: POST /v1/projects/{p}/locations/{r}/publishers/google/models/{m}:predictLongRunning
//   and :fetchPredictOperation with that bearer token; videos inline (bytesBase64Encoded) or, with
//   parameters.storageUri, as gs:// objects served by the Cloud Storage JSON API
//   (GET /storage/v1/b/{bucket}/o/{object}?alt=media);
// - Gemini API: POST /v1beta/models/{m}:predictLongRunning and GET /v1beta/{operation} with
//   x-goog-api-key, the sample's video.uri downloadable with the key;
// - no cancel for Veo operations on either API: Google documents none (Vertex's publisher-model
//   operations and the Gemini API's models.operations list no :cancel; @google/genai has none for
//   video operations), so the fake answers one with the 404 of any unknown path;
// - Vertex AI's Interactions API for Gemini Omni (../gemini/interactions-api.ts) under
//   /v1beta1/projects/{p}/locations/{r}/interactions, with the bearer token, for the catalog's
//   vertex-interactions models; a video asked for by URI is written to gcs_uri in Cloud Storage.
// Errors use Google's envelope {error:{code,message,status}}. Which models each API serves, and
// what each renders (durations, aspect ratios, resolutions, lastFrame), is the shipped catalog's
// veo3 rows: a *-predict row of that API is served, a retired one is gone from both APIs.
// Bodies are checked per model; the Gemini API refuses generateAudio, storageUri and seed
// (Vertex-only parameters, as @google/genai says). Gemini file URIs are
// https://generativelanguage.googleapis.com/v1beta/files/{id}:download with a lower-case
// alphanumeric id, the shape the SDK parses; Vertex is served on v1 and v1beta1 (the SDK's default).
// Refusals of a model, with their sources and confidence:
// - A retired model answers 404 NOT_FOUND whose message says it "is no longer available". The status:
//   Vertex's model-versions page ("API requests referencing a retired model ID typically return a
//   404 error") — official, high. The wording: Google's Gemini deprecations page ("once a model is
//   shut down … the endpoint is no longer available") and the third-party notice summarised in
//   ../shared/reference/vendors-2026-12.md ("an underlying 404 whose text says the model 'is no
//   longer available'") — the exact sentence is not published, low confidence.
// - Vertex AI removed its Veo -preview endpoints on 2026-04-02 (Veo 2 model page banner), so any
//   veo-…-preview id is gone there too, whatever its Gemini API row says.
// - A model of the other API, or one ttv has no row for: 404 "… is not found …" (Google's usual
//   not-found text; medium).
// - A Gemini Omni (Interactions API) model asked for through predictLongRunning: 400 "This model
//   only supports Interactions API." — the answer TanStack/ai issue #871 records live for
//   generateContent (third-party, medium); that predictLongRunning answers the same is assumed.
import { createPublicKey, createVerify, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import type { CatalogRow } from '../../../src/config/catalog-row-schema.js';
import { InteractionsApi, type InteractionsModelState } from '../gemini/interactions-api.js';

/** A Gemini-style id: lower-case letters and digits only. */
const geminiId = () => randomUUID().replace(/-/g, '').slice(0, 16);

export type VeoOutcome = 'succeed' | 'fail' | 'safety' | 'stuck';

interface Operation {
  name: string;
  outcome: VeoOutcome;
  polls: number;
  storageUri?: string;
  gemini: boolean;
}

const googleError = (code: number, status: string, message: string) => ({ error: { code, message, status } });

/** What one API does with a model id: serves it (with its row), has shut it down, or does not know it. */
type ModelState = { served: CatalogRow } | { gone: true } | { interactionsOnly: true } | { unknown: true };

export class FakeVeoServer extends FakeHttpServer {
  readonly operations = new Map<string, Operation>();
  readonly outcomes: VeoOutcome[] = [];
  readonly issuedTokens = new Set<string>();
  /** Objects "written" to Cloud Storage by Vertex operations. */
  readonly objects = new Set<string>();
  pollsUntilDone = 2;
  /**
   * The next this-many predictLongRunning calls start their operation and then answer 500 INTERNAL
   * (a backend that failed after the operation was made): what a blind re-create pays twice for.
   */
  failAfterCreate = 0;
  /** Gemini Omni on Vertex AI. */
  readonly interactions = new InteractionsApi((id) => this.interactionsModel(id), {
    apiVersion: 'v1beta1',
    writeObject: (uri) => this.objects.add(uri),
  });

  constructor(
    private readonly options: { publicKeyPem?: string; clientEmail?: string; apiKey: string; project: string },
  ) {
    super();
  }

  /** The service account whose signed assertions the token endpoint accepts. */
  trustServiceAccount(publicKeyPem: string, clientEmail: string): void {
    this.options.publicKeyPem = publicKeyPem;
    this.options.clientEmail = clientEmail;
  }

  override reset(): void {
    super.reset();
    this.operations.clear();
    this.outcomes.length = 0;
    this.objects.clear();
    this.extraModels.length = 0;
    this.interactions.reset();
    this.pollsUntilDone = 2;
    this.failAfterCreate = 0;
  }

  /** Operations started so far (every accepted predictLongRunning, whatever it answered). */
  get createCount(): number {
    return this.operations.size;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  private verifyAssertion(assertion: string): string | null {
    const [header, claims, signature] = assertion.split('.');
    if (!this.options.publicKeyPem) return 'no service account is trusted';
    if (!header || !claims || !signature) return 'malformed assertion';
    const ok = createVerify('RSA-SHA256')
      .update(`${header}.${claims}`)
      .verify(createPublicKey(this.options.publicKeyPem), Buffer.from(signature, 'base64url'));
    if (!ok) return 'Invalid JWT Signature.';
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
      iss?: string;
      aud?: string;
      scope?: string;
      exp?: number;
      iat?: number;
    };
    if (c.iss !== this.options.clientEmail) return 'Invalid issuer';
    if (c.aud !== this.tokenUrl) return 'Invalid audience';
    if (!c.scope?.includes('https://www.googleapis.com/auth/cloud-platform')) return 'Invalid scope';
    const now = Date.now() / 1000;
    if (!c.exp || !c.iat || c.exp < now || c.exp - c.iat > 3600)
      return 'Invalid JWT: Token must be a short-lived token';
    return null;
  }

  /** Models a test adds to what this Google serves (a model newer than ttv's shipped catalog). */
  private readonly extraModels: CatalogRow[] = [];

  /** Serves a model besides the catalog's (its row's protocol names the API: vertex-predict or gemini-predict). */
  serve(row: CatalogRow): void {
    this.extraModels.push(row);
  }

  private modelState(modelId: string, gemini: boolean): ModelState {
    const protocol = gemini ? 'gemini-predict' : 'vertex-predict';
    const extra = this.extraModels.find((r) => r.id === modelId && r.protocol === protocol);
    if (extra) return { served: extra };
    const rows = shippedCatalog()
      .rowsFor('veo3')
      .filter((r) => r.id === modelId);
    if (rows.some((r) => r.lifecycle.status === 'retired')) return { gone: true };
    if (!gemini && /^veo-.*-preview$/.test(modelId)) return { gone: true };
    const served = rows.find((r) => r.protocol === protocol);
    if (served) return { served };
    if (rows.some((r) => r.protocol.endsWith('-interactions'))) return { interactionsOnly: true };
    return { unknown: true };
  }

  /** What Vertex AI's Interactions API does with a model id: the catalog's vertex-interactions rows (and the test's). */
  private interactionsModel(id: string): InteractionsModelState | undefined {
    const row =
      this.extraModels.find((r) => r.id === id && r.protocol === 'vertex-interactions') ??
      shippedCatalog()
        .rowsFor('veo3')
        .find((r) => r.id === id && r.protocol === 'vertex-interactions');
    if (!row) return undefined;
    if (row.lifecycle.status === 'retired') return { retired: row.lifecycle.shutdown ?? 'unknown' };
    const ratios = [
      ...new Set([
        ...Object.keys(row.modes.text ?? {}),
        ...Object.keys(row.modes.image === 'follows-image' ? {} : (row.modes.image ?? {})),
      ]),
    ];
    return {
      served: {
        id: row.id,
        durations: allowedDurations(row.durations),
        aspectRatios: ratios,
        resolutions: row.resolutions ?? [],
      },
    };
  }

  private validateBody(
    model: CatalogRow,
    gemini: boolean,
    body: {
      instances?: {
        prompt?: unknown;
        image?: { bytesBase64Encoded?: string; mimeType?: string };
        lastFrame?: { bytesBase64Encoded?: string; mimeType?: string };
      }[];
      parameters?: Record<string, unknown>;
    },
  ): string | null {
    const instance = body.instances?.[0];
    if (!instance || typeof instance.prompt !== 'string' || !instance.prompt) return 'instances[0].prompt is required';
    const badImage = (i: { bytesBase64Encoded?: string; mimeType?: string }) =>
      !i.bytesBase64Encoded || !/^image\/(png|jpeg)$/.test(i.mimeType ?? '');
    if (instance.image && badImage(instance.image))
      return 'instances[0].image needs bytesBase64Encoded and an image mimeType';
    if (instance.lastFrame && (!model.modes.first_last || badImage(instance.lastFrame)))
      return `instances[0].lastFrame isn't supported by ${model.id}`;
    if (instance.lastFrame && !instance.image)
      return 'instances[0].lastFrame needs instances[0].image (the first frame)';
    const p = body.parameters ?? {};
    if (gemini) {
      for (const key of ['generateAudio', 'storageUri', 'seed']) {
        if (p[key] !== undefined)
          return `Invalid JSON payload received. Unknown name "${key}" at 'parameters': Cannot find field.`;
      }
    }
    const durations = allowedDurations(model.durations);
    if (p.durationSeconds !== undefined && !durations.includes(p.durationSeconds as number))
      return `Unsupported output video duration ${String(p.durationSeconds)} seconds, supported durations are [${durations.join(',')}] for feature text_to_video.`;
    const ratios = Object.keys(model.modes.text ?? {});
    if (p.aspectRatio !== undefined && !ratios.includes(p.aspectRatio as string))
      return `Unsupported aspect ratio: ${String(p.aspectRatio)}`;
    if (p.resolution !== undefined && !(model.resolutions ?? []).includes(p.resolution as string))
      return `Unsupported resolution: ${String(p.resolution)}; supported resolutions are [${(model.resolutions ?? []).join(',')}]`;
    if (p.generateAudio !== undefined && model.audio === 'none') return `generateAudio isn't supported by ${model.id}`;
    if (p.storageUri !== undefined && !/^gs:\/\/[^/]+\/.*\/$/.test(String(p.storageUri)))
      return 'storageUri must be a gs:// folder';
    return null;
  }

  private startOperation(
    res: ServerResponse,
    modelId: string,
    name: string,
    body: RecordedRequest['body'],
    gemini: boolean,
    resource: string,
  ): void {
    const state = this.modelState(modelId, gemini);
    if ('gone' in state)
      return this.send(res, 404, googleError(404, 'NOT_FOUND', `${resource} is no longer available.`));
    if ('interactionsOnly' in state)
      return this.send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'This model only supports Interactions API.'));
    if ('unknown' in state)
      return this.send(
        res,
        404,
        googleError(
          404,
          'NOT_FOUND',
          `${resource} is not found for API version ${gemini ? 'v1beta' : 'v1'}, or is not supported for predictLongRunning.`,
        ),
      );
    let parsed: Parameters<FakeVeoServer['validateBody']>[2];
    try {
      parsed = JSON.parse(body.toString()) as typeof parsed;
    } catch {
      return this.send(res, 400, googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
    }
    const problem = this.validateBody(state.served, gemini, parsed);
    if (problem) return this.send(res, 400, googleError(400, 'INVALID_ARGUMENT', problem));
    const op: Operation = {
      name,
      outcome: this.outcomes.shift() ?? 'succeed',
      polls: 0,
      storageUri: parsed.parameters?.storageUri as string | undefined,
      gemini,
    };
    this.operations.set(name, op);
    if (this.failAfterCreate > 0) {
      this.failAfterCreate -= 1;
      return this.send(res, 500, googleError(500, 'INTERNAL', 'Internal error encountered.'));
    }
    this.send(res, 200, { name });
  }

  private poll(res: ServerResponse, op: Operation | undefined): void {
    if (!op) return this.send(res, 404, googleError(404, 'NOT_FOUND', 'Operation not found'));
    op.polls += 1;
    if (op.outcome === 'stuck' || op.polls <= this.pollsUntilDone)
      return this.send(res, 200, { name: op.name, done: false });
    if (op.outcome === 'fail')
      return this.send(res, 200, {
        name: op.name,
        done: true,
        error: { code: 13, message: 'Video generation failed due to an internal error.' },
      });
    const id = op.name.split('/').pop()!;
    if (op.gemini) {
      const sample =
        op.outcome === 'safety'
          ? {}
          : {
              generatedSamples: [
                { video: { uri: `https://generativelanguage.googleapis.com/v1beta/files/${id}:download?alt=media` } },
              ],
            };
      const filtered =
        op.outcome === 'safety'
          ? {
              raiMediaFilteredCount: 1,
              raiMediaFilteredReasons: ['The prompt could not be submitted: it may violate our policies.'],
            }
          : {};
      return this.send(res, 200, {
        name: op.name,
        done: true,
        response: {
          '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
          generateVideoResponse: { ...sample, ...filtered },
        },
      });
    }
    if (op.outcome === 'safety') {
      return this.send(res, 200, {
        name: op.name,
        done: true,
        response: {
          '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
          raiMediaFilteredCount: 1,
          raiMediaFilteredReasons: ['Unable to generate videos: the input was flagged by safety filters.'],
        },
      });
    }
    let video: Record<string, string>;
    if (op.storageUri) {
      const uri = `${op.storageUri}sample_0.mp4`;
      this.objects.add(uri);
      video = { gcsUri: uri, mimeType: 'video/mp4' };
    } else {
      video = { bytesBase64Encoded: sampleMp4().toString('base64'), mimeType: 'video/mp4' };
    }
    this.send(res, 200, {
      name: op.name,
      done: true,
      response: {
        '@type': 'type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse',
        raiMediaFilteredCount: 0,
        videos: [video],
      },
    });
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const url = new URL(req.path, 'http://fake');
    const path = decodeURIComponent(url.pathname);

    if (req.method === 'POST' && path === '/token') {
      const form = new URLSearchParams(req.body.toString());
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return this.send(res, 400, { error: 'unsupported_grant_type' });
      const problem = this.verifyAssertion(form.get('assertion') ?? '');
      if (problem) return this.send(res, 400, { error: 'invalid_grant', error_description: problem });
      const token = `ya29.fake-${randomUUID()}`;
      this.issuedTokens.add(token);
      return this.send(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }

    if (path.startsWith('/v1beta/')) {
      if (req.headers['x-goog-api-key'] !== this.options.apiKey)
        return this.send(
          res,
          400,
          googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'),
        );
      const start = /^\/v1beta\/models\/([\w.-]+):predictLongRunning$/.exec(path);
      if (start && req.method === 'POST')
        return this.startOperation(
          res,
          start[1]!,
          `models/${start[1]}/operations/${geminiId()}`,
          req.body,
          true,
          `models/${start[1]}`,
        );
      const file = /^\/v1beta\/files\/([a-z0-9]+):download$/.exec(path);
      if (file && req.method === 'GET') {
        if (![...this.operations.values()].some((o) => o.name.endsWith(`/${file[1]}`)))
          return this.send(res, 404, googleError(404, 'NOT_FOUND', 'File not found'));
        return this.serveClip(res, sampleMp4());
      }
      const get = /^\/v1beta\/(models\/[\w.-]+\/operations\/[a-z0-9]+)$/.exec(path);
      if (get && req.method === 'GET') return this.poll(res, this.operations.get(get[1]!));
      return this.send(res, 404, googleError(404, 'NOT_FOUND', 'Not found'));
    }

    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.issuedTokens.has(bearer))
      return this.send(
        res,
        401,
        googleError(
          401,
          'UNAUTHENTICATED',
          'Request had invalid authentication credentials. Expected OAuth 2 access token.',
        ),
      );

    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    if (object && req.method === 'GET' && url.searchParams.get('alt') === 'media') {
      if (!this.objects.has(`gs://${object[1]}/${object[2]}`))
        return this.send(res, 404, googleError(404, 'NOT_FOUND', 'No such object'));
      return this.serveClip(res, sampleMp4());
    }

    const interaction =
      /^\/v1beta1\/projects\/([^/]+)\/locations\/([^/]+)\/interactions(?:\/([\w-]+)(\/cancel)?)?$/.exec(path);
    if (interaction) {
      if (interaction[1] !== this.options.project)
        return this.send(
          res,
          403,
          googleError(403, 'PERMISSION_DENIED', `Permission denied on project ${interaction[1]}`),
        );
      const [, , , id, cancel] = interaction;
      const answer = !id
        ? req.method === 'POST'
          ? this.interactions.create(req.body)
          : null
        : cancel
          ? req.method === 'POST'
            ? this.interactions.cancel(id)
            : null
          : req.method === 'GET'
            ? this.interactions.get(id)
            : req.method === 'DELETE'
              ? this.interactions.delete(id)
              : null;
      return answer
        ? this.send(res, answer.status, answer.body)
        : this.send(res, 404, googleError(404, 'NOT_FOUND', 'Not found'));
    }

    const vertex =
      /^\/v1(?:beta1)?\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([\w.-]+):(predictLongRunning|fetchPredictOperation)$/.exec(
        path,
      );
    if (vertex && req.method === 'POST') {
      if (vertex[1] !== this.options.project)
        return this.send(res, 403, googleError(403, 'PERMISSION_DENIED', `Permission denied on project ${vertex[1]}`));
      if (vertex[4] === 'predictLongRunning') {
        const model = `projects/${vertex[1]}/locations/${vertex[2]}/publishers/google/models/${vertex[3]}`;
        return this.startOperation(
          res,
          vertex[3]!,
          `${model}/operations/${randomUUID()}`,
          req.body,
          false,
          `Publisher Model \`${model}\``,
        );
      }
      const { operationName } = JSON.parse(req.body.toString() || '{}') as { operationName?: string };
      return this.poll(res, this.operations.get(operationName ?? ''));
    }
    this.send(res, 404, googleError(404, 'NOT_FOUND', 'Not found'));
  }
}
