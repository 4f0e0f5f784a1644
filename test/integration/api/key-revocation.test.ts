// Revoking a key reaches requests already in flight and never opens the server:
// - an event stream opened with a key ends (a final `revoked` event) when the key is revoked, through
//   the admin API in the same process or with `ttv keys revoke` from another one;
// - without security.auth_token, neither the admin API nor `ttv keys revoke` revokes the last active
//   admin key (409 Conflict; exit 2), nor, without security.require_api_key, the last active key.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { createKey, revokeKey, type CreatedKey } from '../../support/api-keys.js';
import { readSse } from '../../support/sse.js';
import { TTV_BIN } from '../../support/ttv-process.js';

const run = promisify(execFile);
const ADMIN = 'revocation-admin-token-0123456789';
const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** `ttv keys revoke` as an operator runs it, whatever its exit code. */
async function revokeWithCli(
  storeArgs: string[],
  id: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [TTV_BIN, 'keys', 'revoke', id, ...storeArgs]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const revokeWithApi = (svc: TestService, id: string, secret: string) =>
  fetch(`${svc.url}/v1/keys/${id}/revoke`, { method: 'POST', headers: auth(secret) });

/** A queued job of `key` (no worker runs it, so its event stream stays open until something ends it). */
async function queuedJob(svc: TestService, key: CreatedKey): Promise<string> {
  const res = await postJob(svc.url, { prompt: 'A job nobody runs. A quiet harbour.' }, auth(key.secret));
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

/** Opens the job's event stream with `secret`; resolves once the first event arrived, with the read to its end. */
async function openStream(svc: TestService, id: string, secret: string): Promise<{ read: ReturnType<typeof readSse> }> {
  let opened!: () => void;
  const first = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const read = readSse(`${svc.url}/v1/jobs/${id}/events`, {
    headers: auth(secret),
    stop: (events) => {
      if (events.length > 0) opened();
      return false;
    },
  });
  await Promise.race([first, read]);
  return { read }; // wrapped: an async function returning the promise itself would wait for the end
}

describe('event streams of a revoked key', () => {
  let svc: TestService;
  /** The CLI's view of the server: the same store and token, as an operator's config file gives it. */
  let cli: string[];
  beforeAll(async () => {
    svc = await startTestService({ security: { auth_token: ADMIN } }, { worker: false });
    const file = join(svc.dataDir, 'ttv.yaml');
    await writeFile(file, `data_dir: "${svc.dataDir}"\nsecurity: { auth_token: "${ADMIN}" }\n`);
    cli = ['--config', file];
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('end with a revoked event when an admin revokes the key through the API, and the key is refused at once', async () => {
    const carol = await createKey(['--data-dir', svc.dataDir], 'carol');
    const id = await queuedJob(svc, carol);
    const stream = await openStream(svc, id, carol.secret);

    const revoked = await revokeWithApi(svc, carol.id, ADMIN);
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ id: carol.id, name: 'carol', scope: 'jobs', status: 'revoked' });

    const read = await stream.read;
    expect(read.status).toBe(200);
    expect(read.ended).toBe(true);
    expect(read.events.map((e) => e.event)).toEqual(['status', 'log', 'revoked']);
    expect(JSON.parse(read.events.at(-1)!.data)).toMatchObject({ error: 'Unauthorized' });
    // The revoking process refuses the key at once (its cache forgot it), a reconnect included.
    expect((await fetch(`${svc.url}/v1/jobs/${id}/events`, { headers: auth(carol.secret) })).status).toBe(401);
    // The job itself is untouched: still queued, readable by the admin.
    expect(
      ((await (await fetch(`${svc.url}/v1/jobs/${id}`, { headers: auth(ADMIN) })).json()) as { status: string }).status,
    ).toBe('queued');
  });

  it('end when the key is revoked from another process with `ttv keys revoke`', async () => {
    const dave = await createKey(['--data-dir', svc.dataDir], 'dave');
    const id = await queuedJob(svc, dave);
    const stream = await openStream(svc, id, dave.secret);
    await revokeKey(cli, dave.id);
    const read = await stream.read;
    expect(read.ended).toBe(true);
    expect(read.events.map((e) => e.event)).toEqual(['status', 'log', 'revoked']);
  });

  it('keep streaming for keys that were not revoked', async () => {
    const erin = await createKey(['--data-dir', svc.dataDir], 'erin');
    const frank = await createKey(['--data-dir', svc.dataDir], 'frank');
    const id = await queuedJob(svc, erin);
    const kept = await openStream(svc, id, ADMIN);
    const ended = await openStream(svc, id, erin.secret);
    expect((await revokeWithApi(svc, erin.id, ADMIN)).status).toBe(200);
    expect((await ended.read).events.at(-1)?.event).toBe('revoked');
    // Frank revoked from the CLI moves the store's revocation mark: the admin's stream is re-checked and stays.
    await revokeKey(cli, frank.id);
    expect((await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth(ADMIN) })).status).toBe(200);
    const read = await kept.read;
    expect(read.events.map((e) => e.event)).not.toContain('revoked');
    expect(JSON.parse(read.events.filter((e) => e.event === 'status').at(-1)!.data)).toMatchObject({
      status: 'canceled',
    });
  });
});

describe('revoking the last key', () => {
  let svc: TestService;
  let store: string[];
  afterEach(async () => {
    await svc?.close();
  });

  it('the admin API refuses the last active admin key with 409 while no token is configured, and allows it once another exists', async () => {
    svc = await startTestService({}, { worker: false });
    store = ['--data-dir', svc.dataDir];
    const ann = await createKey(store, 'ann', ['--scope', 'admin']);
    const jay = await createKey(store, 'jay');

    const refused = await revokeWithApi(svc, ann.id, ann.secret);
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as { error: string; message: string; details: Record<string, unknown> };
    expect(body).toMatchObject({ error: 'Conflict', details: { key_id: ann.id, reason: 'last_admin' } });
    expect(body.message).toMatch(/last active admin key and no security\.auth_token is configured/);
    // Still active: the server still demands a key and still takes ann's.
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
    expect((await fetch(`${svc.url}/v1/jobs`, { headers: auth(ann.secret) })).status).toBe(200);

    // A jobs key may not use the admin API at all; an unknown or malformed id is 404.
    expect((await revokeWithApi(svc, ann.id, jay.secret)).status).toBe(403);
    expect((await fetch(`${svc.url}/v1/keys`, { headers: auth(jay.secret) })).status).toBe(403);
    expect((await revokeWithApi(svc, 'key_0000000000000000', ann.secret)).status).toBe(404);
    expect((await revokeWithApi(svc, 'not-a-key', ann.secret)).status).toBe(404);

    const bea = await createKey(store, 'bea', ['--scope', 'admin']);
    expect((await revokeWithApi(svc, ann.id, bea.secret)).status).toBe(200);
    const last = await revokeWithApi(svc, bea.id, bea.secret);
    expect(last.status).toBe(409);
    const listed = (await (await fetch(`${svc.url}/v1/keys`, { headers: auth(bea.secret) })).json()) as {
      keys: { id: string; status: string }[];
    };
    expect(listed.keys.map((k) => [k.id, k.status])).toEqual([
      [ann.id, 'revoked'],
      [jay.id, 'active'],
      [bea.id, 'active'],
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/ttv_/);
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
  });

  it('`ttv keys revoke` refuses the last active admin key (exit 2) while no token is configured, and the last key of any scope without require_api_key', async () => {
    svc = await startTestService({}, { worker: false });
    store = ['--data-dir', svc.dataDir];
    const jay = await createKey(store, 'jay');
    // Only a jobs key: revoking it would leave no key at all, and the server open.
    const lastKey = await revokeWithCli(store, jay.id);
    expect(lastKey.code).toBe(2);
    expect(lastKey.stderr).toMatch(
      /refusing to revoke .*last active key and neither security\.auth_token nor security\.require_api_key is set/,
    );
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);

    const ann = await createKey(store, 'ann', ['--scope', 'admin']);
    expect((await revokeWithCli(store, jay.id)).code).toBe(0);
    const lastAdmin = await revokeWithCli(store, ann.id);
    expect(lastAdmin.code).toBe(2);
    expect(lastAdmin.stderr).toMatch(/last active admin key and no security\.auth_token is configured/);
    expect(lastAdmin.stderr).toMatch(/ttv keys create --scope admin/);
    expect((await fetch(`${svc.url}/v1/jobs`, { headers: auth(ann.secret) })).status).toBe(200);
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
  });

  it('lets the last key go when a token, or require_api_key, keeps the server closed', async () => {
    svc = await startTestService({ security: { auth_token: ADMIN } }, { worker: false });
    const ann = await createKey(['--data-dir', svc.dataDir], 'ann', ['--scope', 'admin']);
    expect((await revokeWithApi(svc, ann.id, ADMIN)).status).toBe(200);
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
    await svc.close();

    // The CLI reads the same config file as the server would.
    svc = await startTestService({ security: { require_api_key: true } }, { worker: false });
    const file = join(svc.dataDir, 'ttv.yaml');
    await writeFile(file, `data_dir: "${svc.dataDir}"\nsecurity: { require_api_key: true }\n`);
    const jay = await createKey(['--config', file], 'jay');
    const cli = await revokeWithCli(['--config', file], jay.id);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('revoked');
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
  });
});
