-- Deletes a terminal job, its logs, events and index entries. ARGV: id → 'removed'|'not_terminal'|'not_found'
local id = ARGV[1]
local key = K.job(id)
local status = jget(key, 'status')
if not status then return 'not_found' end
if not TERMINAL[status] then return 'not_terminal' end
local idem = jget(key, 'idempotency_key')
local owner = jget(key, 'owner_key_id')
redis.call('DEL', key, K.logs(id), K.events(id), K.segments(id))
redis.call('ZREM', K.jobs, id)
redis.call('ZREM', K.status(status), id)
if owner then
  redis.call('ZREM', K.ownerJobs(owner), id)
  redis.call('ZREM', K.ownerStatus(owner, status), id)
end
if idem and idem ~= '' and redis.call('GET', K.idempotency(idem)) == id then redis.call('DEL', K.idempotency(idem)) end
return 'removed'
