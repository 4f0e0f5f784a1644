-- Deletes a terminal job, its logs, events and index entries. ARGV: id → 'removed'|'not_terminal'|'not_found'
local id = ARGV[1]
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return 'not_found' end
if not TERMINAL[status] then return 'not_terminal' end
local idem = jget(key, 'idempotency_key')
local owner = jget(key, 'owner_key_id')
redis.call('DEL', key, p .. 'logs:' .. id, p .. 'events:' .. id, p .. 'segments:' .. id)
redis.call('ZREM', p .. 'jobs', id)
redis.call('ZREM', p .. 'status:' .. status, id)
if owner then
  redis.call('ZREM', p .. 'owner:' .. owner .. ':jobs', id)
  redis.call('ZREM', p .. 'owner:' .. owner .. ':status:' .. status, id)
end
if idem and idem ~= '' and redis.call('GET', p .. 'idem:' .. idem) == id then redis.call('DEL', p .. 'idem:' .. idem) end
return 'removed'
