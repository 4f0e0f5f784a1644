// Retention over real HTTP, on every job store: with the clock moved past retention.jobs_days (not
// slept), the older finished job vanishes from the API (404 like an unknown id, its idempotency key
// free again) together with its artifact file, while the younger job and its file stay; a local
// artifact file older than retention.artifacts_days that no job names goes too. A dry run lists the
// same and removes nothing.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { getJob, waitForEnd, type JobView } from '../../support/backend-jobs.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';
import { RetentionSweep } from '../../../src/retention/retention-sweep.js';

const DAY_MS = 24 * 3600 * 1000;

async function submitKeyed(svc: TestService, prompt: string, key: string): Promise<{ status: number; id: string }> {
  const res = await postJob(svc.url, { prompt }, { 'idempotency-key': key });
  return { status: res.status, id: ((await res.json()) as { id: string }).id };
}

async function listedIds(svc: TestService): Promise<string[]> {
  const body = (await (await fetch(`${svc.url}/v1/jobs?limit=100`)).json()) as { jobs: { id: string }[] };
  return body.jobs.map((j) => j.id);
}

/** A file in the local artifact store that no job names, last written at `at`. */
async function strayFile(svc: TestService, at: Date): Promise<string> {
  const file = join(svc.dataDir, 'artifacts', 'ttv-api', at.toISOString().slice(0, 7), randomUUID(), 'final_video.mp4');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, 'not a video');
  await utimes(file, at, at);
  return file;
}

for (const adapter of ['sqlite', 'redis', 'postgres'] as const) {
  describe(`retention sweep (${adapter})`, () => {
    let redis: RedisServer | undefined;
    let schema: TestSchema | undefined;
    let svc: TestService;
    let older: JobView;
    let younger: JobView;
    let now: Date;

    beforeAll(async () => {
      if (adapter === 'redis') redis = await startRedisServer();
      if (adapter === 'postgres') {
        await assertPostgresReachable();
        schema = testPostgresConfig();
      }
      svc = await startTestService({
        retention: { sweep_interval_minutes: 0 }, // the test drives the sweep with its own clock
        ...(redis ? { redis: { url: redis.url, key_prefix: `ttv-ret-${randomUUID().slice(0, 8)}` } } : {}),
        ...(schema ? { postgres: schema.config } : {}),
      });
      const first = await submitKeyed(svc, 'An old lighthouse at dawn.', 'retention-key');
      older = await waitForEnd(svc, first.id);
      const second = await submitKeyed(svc, 'A young lighthouse at dusk.', 'other-key');
      younger = await waitForEnd(svc, second.id);
      expect([older.status, younger.status]).toEqual(['finished', 'finished']);
      // Halfway between the two ends, 30 days (retention.jobs_days) on: only the older one is expired.
      const olderEnd = Date.parse(older.finished_at as string);
      const youngerEnd = Date.parse(younger.finished_at as string);
      expect(youngerEnd).toBeGreaterThan(olderEnd);
      now = new Date((olderEnd + youngerEnd) / 2 + 30 * DAY_MS);
    }, 120_000);

    afterAll(async () => {
      await svc?.close();
      await redis?.stop();
      await schema?.drop();
    });

    it('removes the expired job with its artifact, keeps the younger one, and frees the idempotency key', async () => {
      const sweep = new RetentionSweep({
        queue: svc.queue,
        store: svc.store,
        retention: svc.config.retention,
        now: () => now,
      });
      const olderFile = fileURLToPath(older.artifact_uri as string);
      const youngerFile = fileURLToPath(younger.artifact_uri as string);
      const oldStray = await strayFile(svc, new Date(now.getTime() - 31 * DAY_MS));
      const recentStray = await strayFile(svc, new Date(now.getTime() - 29 * DAY_MS));
      expect([existsSync(olderFile), existsSync(youngerFile)]).toEqual([true, true]);

      // Dry run: lists exactly what would go, removes nothing.
      const dry = await sweep.run({ dryRun: true });
      expect(dry.jobs.map((j) => j.id)).toEqual([older.id]);
      expect(dry.files.map((f) => join(svc.dataDir, 'artifacts', f.key)).sort()).toEqual([olderFile, oldStray].sort());
      expect((await getJob(svc, older.id)).status).toBe('finished');
      expect([existsSync(olderFile), existsSync(oldStray)]).toEqual([true, true]);

      const report = await sweep.run();
      expect(report.errors).toEqual([]);
      expect(report.jobs.map((j) => j.id)).toEqual([older.id]);

      expect(await listedIds(svc)).toEqual([younger.id]);
      const gone = await fetch(`${svc.url}/v1/jobs/${older.id}`);
      const unknown = await fetch(`${svc.url}/v1/jobs/${randomUUID()}`);
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { error: string }).error).toBe(
        ((await unknown.json()) as { error: string }).error,
      );
      expect((await fetch(`${svc.url}/v1/jobs/${older.id}/logs`)).status).toBe(404);
      expect((await getJob(svc, younger.id)).status).toBe('finished');

      expect(existsSync(olderFile)).toBe(false);
      expect(existsSync(oldStray)).toBe(false);
      expect(existsSync(youngerFile)).toBe(true);
      expect(existsSync(recentStray)).toBe(true);

      // The key expired with its job: the same key and body create a new job instead of a replay.
      const again = await postJob(
        svc.url,
        { prompt: 'An old lighthouse at dawn.' },
        { 'idempotency-key': 'retention-key' },
      );
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      const created = (await again.json()) as { id: string };
      expect(created.id).not.toBe(older.id);
      await waitForEnd(svc, created.id);

      // Nothing more is due at the same instant: a second sweep removes nothing.
      const second = await sweep.run();
      expect([second.jobs.length, second.files.length]).toEqual([0, 0]);
    }, 60_000);
  });
}
