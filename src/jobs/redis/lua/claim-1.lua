-- A worker starts a delivered job under a lease. ARGV: id, token, now, ttl, leaseMs
-- → {'claimed', attempts} | {'skip', status} (terminal or gone) | {'defer', running} (its key is at
--   max_concurrent_jobs) | {'held', holderToken, attempts, expired 0|1} (another attempt's lease)
local id, token, now, ttl, lease_ms = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return {'skip', 'missing'} end
if leased(status) then
  local expires = jget(key, 'lease_expires_at')
  local expired = (expires == nil or expires < now_ms()) and 1 or 0
  return {'held', jget(key, 'lease_token') or '', tostring(jget(key, 'attempts')), expired}
end
if not can(status, 'started') then return {'skip', status} end
local owner = jget(key, 'owner_key_id')
if owner then
  local limit = tonumber(redis.call('HGET', p .. 'apikey:' .. owner, 'max_concurrent_jobs') or '')
  if limit then
    local running = redis.call('ZCARD', p .. 'owner:' .. owner .. ':status:started') + redis.call('ZCARD', p .. 'owner:' .. owner .. ':status:progress')
    if running >= limit then return {'defer', tostring(running)} end
  end
end
local round = tonumber(redis.call('HGET', key, 'round') or '')
if round and round > tonumber(redis.call('GET', p .. 'round') or '1') then redis.call('SET', p .. 'round', round) end
local attempts = jget(key, 'attempts') + 1
jset(key, 'attempts', attempts)
jset(key, 'status', 'started')
jset(key, 'stage', 'planning')
jset(key, 'lease_token', token)
jset(key, 'lease_expires_at', now_ms() + lease_ms)
if jget(key, 'started_at') == nil then jset(key, 'started_at', now) end
move(id, jget(key, 'seq'), status, 'started')
status_event(id, ttl)
touch(id, ttl)
return {'claimed', tostring(attempts)}
