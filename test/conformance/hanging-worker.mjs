// A worker process for the conformance suite's crash tests: it claims one job, says so on stdout,
// and then hangs until the test kills it with SIGKILL. Uses the compiled adapters (npm run build).
import { configSchema } from '../../dist/config/schema.js';
import { openJobQueue } from '../../dist/jobs/open-job-queue.js';

const raw = JSON.parse(process.argv[2] ?? '{}');
const queue = openJobQueue(configSchema.parse(raw));
queue.consume({
  concurrency: 1,
  handler: (ctx) => {
    process.stdout.write(`claimed ${ctx.job.id}\n`);
    return new Promise(() => {});
  },
});
