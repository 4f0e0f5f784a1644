-- ARGV: id, token, costJson → 1 written | 0 not held
local key = K.job(ARGV[1])
local status = jget(key, 'status')
if not status or not leased(status) or jget(key, 'lease_token') ~= ARGV[2] then return 0 end
local before = jget(key, 'estimated_cost_usd') or 0
redis.call('HSET', key, 'estimated_cost_usd', ARGV[3])
-- The owner's month spend follows the job's estimate as the worker refines it.
local owner = jget(key, 'owner_key_id')
local after = tonumber(ARGV[3]) or 0
if owner and after ~= before then
  local spend_key = K.spend(owner, string.sub(jget(key, 'created_at'), 1, 7))
  redis.call('INCRBYFLOAT', spend_key, after - before)
  redis.call('EXPIRE', spend_key, 40 * 24 * 3600)
end
return 1
