-- Removes a record whose enqueue failed, so that no job exists that no worker will ever see.
-- Only a job still queued: one a worker already claimed (its enqueue went through, a later check
-- failed) is left to run.
-- ARGV: id → 1 removed | 0 not found or no longer queued
local id = ARGV[1]
local key = p .. 'job:' .. id
local seq = jget(key, 'seq')
local idem = jget(key, 'idempotency_key')
if not seq then return 0 end
if jget(key, 'status') ~= 'queued' then return 0 end
local owner = jget(key, 'owner_key_id')
redis.call('DEL', key, p .. 'logs:' .. id, p .. 'events:' .. id)
redis.call('ZREM', p .. 'jobs', id)
redis.call('ZREM', p .. 'status:queued', id)
if owner then
  redis.call('ZREM', p .. 'owner:' .. owner .. ':jobs', id)
  redis.call('ZREM', p .. 'owner:' .. owner .. ':status:queued', id)
end
if idem and idem ~= '' then redis.call('DEL', p .. 'idem:' .. idem) end
return 1
