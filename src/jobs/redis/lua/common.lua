-- Shared by every script (prepended by redis-scripts.ts, after the generated SOURCES, LEASED and
-- TERMINAL tables, the MAX_* constants from job-state.ts / job.ts, and the key builders `K` from
-- queue-keys.ts over KEYS[1], the key prefix "<prefix>:"). Every key comes from K, never from a name
-- spelled here. Job records are hashes whose values are JSON-encoded.
local function jget(key, field)
  local v = redis.call('HGET', key, field)
  if not v then return nil end
  local d = cjson.decode(v)
  if d == cjson.null then return nil end
  return d
end
local function jset(key, field, value)
  redis.call('HSET', key, field, cjson.encode(value))
end
-- The state machine (job-state.ts): may a job in `from` move to `to`?
local function can(from, to)
  return SOURCES[to][from] == true
end
-- Statuses in which a worker holds the job under a lease.
local function leased(status)
  return LEASED[status] == true
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A queued job's place in the claim order: its fair-queueing round, then its submission order. Both
-- fit a double exactly (round ≤ MAX_ROUND = 2^21, seq < 2^32), written out in full, not as %.14g.
local function ready_score(round, seq)
  return string.format('%.0f', round * 4294967296 + seq)
end
-- Work may be claimable: one token on the wake list for an idle worker blocked on it (redis-lease-store.ts).
-- Tokens are alike and capped; a token nobody needed only costs a worker one empty claim.
local function wake()
  if redis.call('ZCARD', K.ready) == 0 then return end
  redis.call('RPUSH', K.wake, '1')
  redis.call('LTRIM', K.wake, 0, MAX_WAKE_TOKENS - 1)
end
-- A status change in every index: the status and owner indexes, the ready set (exactly the queued
-- jobs) and the lease set (leased jobs leave it here; the claim adds them with their expiry).
local function move(id, seq, from, to)
  redis.call('ZREM', K.status(from), id)
  redis.call('ZADD', K.status(to), seq, id)
  local key = K.job(id)
  local o = redis.call('HGET', key, 'owner_key_id')
  if o and o ~= 'null' then
    o = cjson.decode(o)
    redis.call('ZREM', K.ownerStatus(o, from), id)
    redis.call('ZADD', K.ownerStatus(o, to), seq, id)
  end
  if to == 'queued' then
    redis.call('ZADD', K.ready, ready_score(tonumber(redis.call('HGET', key, 'round') or '0') or 0, seq), id)
  elseif from == 'queued' then
    redis.call('ZREM', K.ready, id)
  end
  if leased(from) and not leased(to) then redis.call('ZREM', K.leases, id) end
  -- New work, or a running slot of its owner freed (a job at its key's concurrent-job limit may go now).
  if to == 'queued' or (leased(from) and not leased(to)) then wake() end
end
-- The one place every journal entry is written.
local function event(id, typ, data, ttl)
  local k = K.events(id)
  local encoded = cjson.encode(data)
  local n = redis.call('XADD', k, 'MAXLEN', '~', MAX_EVENTS, '*', 'type', typ, 'data', encoded)
  -- The store-wide journal (webhooks, job counters) in one order: redis-journal.ts reads it.
  redis.call('XADD', K.journal, 'MAXLEN', '~', JOURNAL_MAXLEN, '*', 'job', id, 'n', n, 'type', typ, 'data', encoded)
  if ttl > 0 then redis.call('EXPIRE', k, ttl) end
  -- Wakes event streams in every API process (RedisJobQueue.watch).
  redis.call('PUBLISH', K.eventsChannel, id)
end
local function status_event(id, ttl)
  local key = K.job(id)
  event(id, 'status', {
    status = jget(key, 'status'), stage = jget(key, 'stage'), progress = jget(key, 'progress'),
    error = jget(key, 'error') or cjson.null, artifact_uri = jget(key, 'artifact_uri') or cjson.null,
  }, ttl)
end
local function log(id, line, ttl)
  local k = K.logs(id)
  redis.call('RPUSH', k, line)
  redis.call('LTRIM', k, -MAX_LOG_LINES, -1)
  if ttl > 0 then redis.call('EXPIRE', k, ttl) end
  event(id, 'log', { line = line }, ttl)
end
-- The record, its logs and its segment records expire together (record TTL, sliding on every write),
-- so no key of a job outlives it.
local function touch(id, ttl)
  if ttl > 0 then
    redis.call('EXPIRE', K.job(id), ttl)
    redis.call('EXPIRE', K.logs(id), ttl)
    redis.call('EXPIRE', K.segments(id), ttl)
  end
end
-- Whether the lease `token` holds job `key` and may move it to `to`.
local function held(key, token, to)
  local status = jget(key, 'status')
  return status ~= nil and can(status, to) and leased(status) and jget(key, 'lease_token') == token, status
end
-- The stored request without its first-frame image bytes and an uploaded source video's (type, size
-- and digest stay), called by
-- every script that ends a job: the image is needed only while the job can still run (a retry after
-- a crash reads it again). Text surgery, not cjson: a decode/encode round trip would turn empty
-- arrays into objects and reformat numbers. Only a JSON member can match: inside a string, the
-- quotes around "data_base64" are escaped; base64 holds no quote or backslash.
local function drop_image(key)
  local request = jget(key, 'request')
  if not request or not string.find(request, '"data_base64":"', 1, true) then return end
  -- Every member: a first-frame image's and an uploaded source video's.
  local changed = false
  while string.find(request, '"data_base64":"', 1, true) do
    local found = false
    for _, pattern in ipairs({ ',"data_base64":"[A-Za-z0-9+/=]*"', '"data_base64":"[A-Za-z0-9+/=]*",', '"data_base64":"[A-Za-z0-9+/=]*"' }) do
      local stripped, n = string.gsub(request, pattern, '', 1)
      if n > 0 then
        request = stripped
        found = true
        changed = true
        break
      end
    end
    if not found then break end
  end
  if changed then jset(key, 'request', request) end
end
-- A conditional status change by the lease holder, with its status event and log line.
local function transition(id, status, to, line, ttl)
  local key = K.job(id)
  jset(key, 'status', to)
  jset(key, 'lease_token', cjson.null)
  jset(key, 'lease_expires_at', cjson.null)
  move(id, jget(key, 'seq'), status, to)
  status_event(id, ttl)
  log(id, line, ttl)
  touch(id, ttl)
end
