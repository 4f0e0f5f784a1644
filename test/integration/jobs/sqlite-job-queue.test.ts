import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';

const dirs: string[] = [];

describeJobQueueConformance('sqlite', {
  async freshConfig() {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-conformance-'));
    dirs.push(dir);
    return { data_dir: dir, worker: { lease_seconds: 0.6, heartbeat_seconds: 0.1, max_attempts: 2 } };
  },
  async cleanup() {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  },
});
