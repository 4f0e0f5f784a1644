// A second process writing to a job's log through the built queue adapters (dist/, `npm run build`):
//   node append-log-process.mjs sqlite <db file> <job id> <message>
//   node append-log-process.mjs redis <redis url> <key prefix> <job id> <message>
//   node append-log-process.mjs postgres <postgres url> <schema> <job id> <message>
const [adapter, ...args] = process.argv.slice(2);
const dist = new URL('../../dist/jobs/', import.meta.url);
let queue;
let jobId;
let message;
if (adapter === 'sqlite') {
  const { SqliteJobQueue } = await import(new URL('sqlite/sqlite-job-queue.js', dist).href);
  queue = new SqliteJobQueue({ file: args[0] });
  [, jobId, message] = args;
} else if (adapter === 'postgres') {
  const { PostgresJobQueue } = await import(new URL('postgres/postgres-job-queue.js', dist).href);
  queue = new PostgresJobQueue({ config: { url: args[0], schema: args[1], pool_size: 2 } });
  [, , jobId, message] = args;
} else {
  const { RedisJobQueue } = await import(new URL('redis/redis-job-queue.js', dist).href);
  queue = new RedisJobQueue({ url: args[0], keyPrefix: args[1], jobTtlSeconds: 3600 });
  [, , jobId, message] = args;
}
await queue.appendLog(jobId, message);
await queue.close();
// The write is done, so is this process (no wait for closing sockets and timers to wind down).
process.exit(0);
