-- Removes a job whose submission the API gave up on (its answer came too late, or the replicas did
-- not confirm it: redis-job-queue.ts submit), so that a client told 503 is not billed for it. Only a
-- job still queued: one a worker already claimed is left to run.
-- ARGV: id → 1 removed | 0 not found or no longer queued
local id = ARGV[1]
local key = K.job(id)
local seq = jget(key, 'seq')
local idem = jget(key, 'idempotency_key')
if not seq then return 0 end
if jget(key, 'status') ~= 'queued' then return 0 end
local owner = jget(key, 'owner_key_id')
redis.call('DEL', key, K.logs(id), K.events(id))
redis.call('ZREM', K.jobs, id)
redis.call('ZREM', K.status('queued'), id)
redis.call('ZREM', K.ready, id)
if owner then
  redis.call('ZREM', K.ownerJobs(owner), id)
  redis.call('ZREM', K.ownerStatus(owner, 'queued'), id)
end
if idem and idem ~= '' then redis.call('DEL', K.idempotency(idem)) end
return 1
