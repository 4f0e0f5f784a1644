// Seeds a store through the queue port (the built dist/ JobQueue, never raw SQL): submits `count`
// jobs, then runs them through a consumer whose handler fails every `failEvery`-th and finishes the
// rest, so the store holds terminal records with real timestamps, journals and worker ids.
import { configSchema } from '../../dist/config/schema.js';
import { openJobQueue } from '../../dist/jobs/open-job-queue.js';

export async function seedJobs(rawConfig, { count, failEvery = 50, batch = 200 }) {
  const queue = openJobQueue(configSchema.parse(rawConfig));
  try {
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      await Promise.all(
        Array.from({ length: n }, (_, k) => queue.submit({ prompt: `Seeded job ${i + k}: a quiet harbour at dawn.` })),
      );
    }
    let settled = 0;
    let done;
    const all = new Promise((r) => {
      done = r;
    });
    let sequence = 0;
    const consumer = queue.consume({
      concurrency: 16,
      handler: async (ctx) => {
        sequence += 1;
        if (sequence % failEvery === 0) throw new Error('seeded failure');
        return {
          artifactUri: `file:///seeded/${ctx.job.id}.mp4`,
          artifactKey: `seeded/${ctx.job.id}.mp4`,
          gcsUri: null,
        };
      },
      onSettled: () => {
        settled += 1;
        if (settled >= count) done();
      },
    });
    await all;
    await consumer.close(5000);
    const stats = await queue.stats();
    if (stats.finished + stats.failed < count)
      throw new Error(`seeding left ${count - stats.finished - stats.failed} jobs unfinished`);
    return stats;
  } finally {
    await queue.close();
  }
}
