-- A worker takes the first claimable job of the ready set under a lease: in claim order (fair rounds,
-- then submission order: ready_score), skipping jobs whose key is at its max_concurrent_jobs (they
-- stay ready, and the end of one of that key's attempts wakes the workers again). At most CLAIM_SCAN
-- ready jobs are looked at. ARGV: token, now, ttl, leaseMs, then the record fields to return
-- (redis-job-record.ts) → {'claimed', id, the record's field values…} | {'none'}
local token, now, ttl, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local full = {} -- owner → at its limit now (read once per claim)
local function at_limit(owner)
  if full[owner] == nil then
    local limit = tonumber(redis.call('HGET', K.apiKey(owner), 'max_concurrent_jobs') or '')
    local running = 0
    if limit then
      for status in pairs(LEASED) do running = running + redis.call('ZCARD', K.ownerStatus(owner, status)) end
    end
    full[owner] = limit ~= nil and running >= limit
  end
  return full[owner]
end
local id = nil
local start, scanned = 0, 0
while id == nil and scanned < CLAIM_SCAN do
  local batch = redis.call('ZRANGE', K.ready, start, start + 99)
  if #batch == 0 then break end
  for _, candidate in ipairs(batch) do
    scanned = scanned + 1
    local status = jget(K.job(candidate), 'status')
    if status == nil or not can(status, 'started') then
      -- Its record expired (TTL) or left `queued` some other way: nothing to claim, and no entry to keep.
      redis.call('ZREM', K.ready, candidate)
      start = start - 1
    else
      local owner = jget(K.job(candidate), 'owner_key_id')
      if owner == nil or not at_limit(owner) then
        id = candidate
        break
      end
    end
  end
  start = start + #batch
end
if id == nil then return {'none'} end
local key = K.job(id)
local round = tonumber(redis.call('HGET', key, 'round') or '')
if round and round > tonumber(redis.call('GET', K.round) or '1') then redis.call('SET', K.round, round) end
local attempts = jget(key, 'attempts') + 1
local expires = now_ms() + lease_ms
jset(key, 'attempts', attempts)
jset(key, 'status', 'started')
jset(key, 'stage', 'planning')
jset(key, 'lease_token', token)
jset(key, 'lease_expires_at', expires)
if jget(key, 'started_at') == nil then jset(key, 'started_at', now) end
move(id, jget(key, 'seq'), 'queued', 'started')
redis.call('ZADD', K.leases, expires, id)
status_event(id, ttl)
touch(id, ttl)
-- The record as claimed: the worker needs no read of its own.
local reply = {'claimed', id}
if #ARGV >= 5 then
  local values = redis.call('HMGET', key, unpack(ARGV, 5))
  for i = 1, #ARGV - 4 do reply[#reply + 1] = values[i] end
end
return reply
