// Lua scripts that keep a job record, its status index and its log consistent in one round trip.
// Keys: KEYS[1] = "<prefix>:" (every other key is derived from it inside the script, so all live in
// one namespace). Job records are hashes whose values are JSON-encoded.
//
// Record hash fields: id, seq, status, stage, progress, prompt, request, created_at, started_at,
// finished_at, gcs_uri, artifact_uri, artifact_key, error, estimated_cost_usd, attempts,
// lease_token, idempotency_key, request_hash.

const COMMON = `
local p = KEYS[1]
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
local function move(id, seq, from, to)
  redis.call('ZREM', p .. 'status:' .. from, id)
  redis.call('ZADD', p .. 'status:' .. to, seq, id)
  local o = redis.call('HGET', p .. 'job:' .. id, 'owner_key_id')
  if o and o ~= 'null' then
    o = cjson.decode(o)
    redis.call('ZREM', p .. 'owner:' .. o .. ':status:' .. from, id)
    redis.call('ZADD', p .. 'owner:' .. o .. ':status:' .. to, seq, id)
  end
end
local function event(id, typ, data, ttl)
  local k = p .. 'events:' .. id
  local encoded = cjson.encode(data)
  local n = redis.call('XADD', k, 'MAXLEN', '~', 2000, '*', 'type', typ, 'data', encoded)
  -- The store-wide journal (webhooks, job counters) in one order: redis-journal.ts reads it.
  redis.call('XADD', p .. 'journal', 'MAXLEN', '~', 100000, '*', 'job', id, 'n', n, 'type', typ, 'data', encoded)
  if ttl > 0 then redis.call('EXPIRE', k, ttl) end
  -- Wakes event streams in every API process (RedisJobQueue.watch).
  redis.call('PUBLISH', p .. 'events', id)
end
local function status_event(id, ttl)
  local key = p .. 'job:' .. id
  event(id, 'status', {
    status = jget(key, 'status'), stage = jget(key, 'stage'), progress = jget(key, 'progress'),
    error = jget(key, 'error') or cjson.null, artifact_uri = jget(key, 'artifact_uri') or cjson.null,
  }, ttl)
end
local function log(id, line, ttl)
  local k = p .. 'logs:' .. id
  redis.call('RPUSH', k, line)
  redis.call('LTRIM', k, -1000, -1)
  if ttl > 0 then redis.call('EXPIRE', k, ttl) end
  event(id, 'log', { line = line }, ttl)
end
local function touch(id, ttl)
  if ttl > 0 then
    redis.call('EXPIRE', p .. 'job:' .. id, ttl)
    redis.call('EXPIRE', p .. 'logs:' .. id, ttl)
  end
end
local function active(status)
  return status == 'started' or status == 'progress'
end
`;

/**
 * ARGV: id, prompt, requestJson, createdAt, costJson, idemKey|'' (owner-scoped), hash, logLine, ttl, owner|'',
 * maxQueued|'', maxQueuedForOwner|'', budgetMonth|'', budgetLimit|''
 * → {'created'|'replayed'|'key_mismatch', id} | {'queue_full', 'global'|'owner', queued} | {'over_budget', spent}
 */
export const SUBMIT = `${COMMON}
local id, prompt, request, created, cost, idem, hash, line, ttl, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
local max_queued, max_owner, month, budget = tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13], tonumber(ARGV[14])
if idem ~= '' then
  local existing = redis.call('GET', p .. 'idem:' .. idem)
  if existing and redis.call('EXISTS', p .. 'job:' .. existing) == 1 then
    local stored = jget(p .. 'job:' .. existing, 'request_hash')
    if stored == hash then return {'replayed', existing} end
    return {'key_mismatch', existing}
  end
end
if max_queued then
  local queued = redis.call('ZCARD', p .. 'status:queued')
  if queued >= max_queued then return {'queue_full', 'global', tostring(queued)} end
end
if max_owner and owner ~= '' then
  local queued = redis.call('ZCARD', p .. 'owner:' .. owner .. ':status:queued')
  if queued >= max_owner then return {'queue_full', 'owner', tostring(queued)} end
end
if owner ~= '' then
  -- Every owner's month spend is the sum of its jobs' estimates (deleting a job does not refund it).
  local spend_key = p .. 'spend:' .. owner .. ':' .. string.sub(created, 1, 7)
  local spent = tonumber(redis.call('GET', spend_key) or '0')
  local c = tonumber(cost) or 0
  if budget and spent + c > budget + 1e-9 then return {'over_budget', tostring(spent)} end
  if c ~= 0 then
    redis.call('INCRBYFLOAT', spend_key, c)
    redis.call('EXPIRE', spend_key, 40 * 24 * 3600)
  end
end
-- Fair order (start-time fair queueing with unit cost): each owner's next job gets the round after
-- its previous one, but never a round before the one being served now, so owners take turns and a
-- newcomer's first job waits at most one round. The round is the job's BullMQ priority (FIFO within
-- a round). Rounds restart from 1 whenever the queue runs empty; they are capped at BullMQ's
-- largest priority, past which order falls back to FIFO.
if redis.call('ZCARD', p .. 'status:queued') == 0 then
  redis.call('DEL', p .. 'rr')
  redis.call('SET', p .. 'round', 1)
end
local turn_owner = owner == '' and '-' or owner
local current = tonumber(redis.call('GET', p .. 'round') or '1')
local last = tonumber(redis.call('HGET', p .. 'rr', turn_owner) or '0')
local round = math.min(math.max(last + 1, current), 2097152)
redis.call('HSET', p .. 'rr', turn_owner, round)
local seq = redis.call('INCR', p .. 'seq')
local key = p .. 'job:' .. id
redis.call('HSET', key,
  'id', cjson.encode(id), 'seq', cjson.encode(seq), 'status', '"queued"', 'stage', '"queued"', 'progress', '0',
  'prompt', cjson.encode(prompt), 'request', cjson.encode(request), 'created_at', cjson.encode(created),
  'started_at', 'null', 'finished_at', 'null', 'gcs_uri', 'null', 'artifact_uri', 'null', 'artifact_key', 'null',
  'error', 'null', 'estimated_cost_usd', cost, 'attempts', '0', 'lease_token', 'null',
  'idempotency_key', cjson.encode(idem), 'request_hash', cjson.encode(hash),
  'owner_key_id', owner == '' and 'null' or cjson.encode(owner), 'round', tostring(round))
redis.call('ZADD', p .. 'jobs', seq, id)
if owner ~= '' then
  redis.call('ZADD', p .. 'owner:' .. owner .. ':jobs', seq, id)
  redis.call('ZADD', p .. 'owner:' .. owner .. ':status:queued', seq, id)
end
redis.call('ZADD', p .. 'status:queued', seq, id)
if idem ~= '' then
  redis.call('SET', p .. 'idem:' .. idem, id)
  if ttl > 0 then redis.call('EXPIRE', p .. 'idem:' .. idem, ttl) end
end
status_event(id, ttl)
log(id, line, ttl)
touch(id, ttl)
return {'created', id, tostring(round)}
`;

/** Removes a record whose enqueue failed, so that no job exists that no worker will ever see. ARGV: id */
export const DISCARD = `${COMMON}
local id = ARGV[1]
local key = p .. 'job:' .. id
local seq = jget(key, 'seq')
local idem = jget(key, 'idempotency_key')
if not seq then return 0 end
redis.call('DEL', key, p .. 'logs:' .. id, p .. 'events:' .. id)
redis.call('ZREM', p .. 'jobs', id)
redis.call('ZREM', p .. 'status:queued', id)
local owner = jget(key, 'owner_key_id')
if owner then
  redis.call('ZREM', p .. 'owner:' .. owner .. ':jobs', id)
  redis.call('ZREM', p .. 'owner:' .. owner .. ':status:queued', id)
end
if idem and idem ~= '' then redis.call('DEL', p .. 'idem:' .. idem) end
return 1
`;

/** Deletes a terminal job, its logs, events and index entries. ARGV: id → {'removed'|'not_terminal'|'not_found'} */
export const REMOVE = `${COMMON}
local id = ARGV[1]
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return 'not_found' end
if status ~= 'finished' and status ~= 'failed' and status ~= 'canceled' then return 'not_terminal' end
local idem = jget(key, 'idempotency_key')
local owner = jget(key, 'owner_key_id')
redis.call('DEL', key, p .. 'logs:' .. id, p .. 'events:' .. id)
redis.call('ZREM', p .. 'jobs', id)
redis.call('ZREM', p .. 'status:' .. status, id)
if owner then
  redis.call('ZREM', p .. 'owner:' .. owner .. ':jobs', id)
  redis.call('ZREM', p .. 'owner:' .. owner .. ':status:' .. status, id)
end
if idem and idem ~= '' and redis.call('GET', p .. 'idem:' .. idem) == id then redis.call('DEL', p .. 'idem:' .. idem) end
return 'removed'
`;

/** ARGV: id, now, logLine, ttl → {'canceled'|'terminal'|'not_found', status} */
export const CANCEL = `${COMMON}
local id, now, line, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return {'not_found', ''} end
if status ~= 'queued' and not active(status) then return {'terminal', status} end
jset(key, 'status', 'canceled')
jset(key, 'finished_at', now)
jset(key, 'lease_token', cjson.null)
move(id, jget(key, 'seq'), status, 'canceled')
status_event(id, ttl)
log(id, line, ttl)
touch(id, ttl)
return {'canceled', status}
`;

/**
 * A worker starts (or, after a stall, restarts) a job. ARGV: id, token, now, logLine|'' , ttl
 * → {'claimed', attempts} | {'skip', status} | {'defer', running} (its key is at max_concurrent_jobs)
 */
export const CLAIM = `${COMMON}
local id, token, now, line, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return {'skip', 'missing'} end
if status ~= 'queued' and not active(status) then return {'skip', status} end
local owner = jget(key, 'owner_key_id')
if owner and status == 'queued' then
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
if jget(key, 'started_at') == nil then jset(key, 'started_at', now) end
move(id, jget(key, 'seq'), status, 'started')
status_event(id, ttl)
if line ~= '' then log(id, line, ttl) end
touch(id, ttl)
return {'claimed', tostring(attempts)}
`;

/** ARGV: id, token, progress, stage|'', logLine|'', ttl → 1 written | 0 not held */
export const PROGRESS = `${COMMON}
local id, token, progress, stage, line, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status or not active(status) or jget(key, 'lease_token') ~= token then return 0 end
local current = jget(key, 'progress') or 0
local old_stage = jget(key, 'stage')
if progress > current then jset(key, 'progress', progress) end
if stage ~= '' then jset(key, 'stage', stage) end
local now_progress = jget(key, 'progress')
local now_stage = jget(key, 'stage')
if status ~= 'progress' then
  jset(key, 'status', 'progress')
  move(id, jget(key, 'seq'), status, 'progress')
  status_event(id, ttl)
end
if now_progress ~= current or now_stage ~= old_stage then
  event(id, 'progress', { progress = now_progress, stage = now_stage }, ttl)
end
if line ~= '' then log(id, line, ttl) end
touch(id, ttl)
return 1
`;

/** ARGV: id, token, costJson → 1 | 0 */
export const COST = `${COMMON}
local key = p .. 'job:' .. ARGV[1]
local status = jget(key, 'status')
if not status or not active(status) or jget(key, 'lease_token') ~= ARGV[2] then return 0 end
local before = jget(key, 'estimated_cost_usd') or 0
redis.call('HSET', key, 'estimated_cost_usd', ARGV[3])
-- The owner's month spend follows the job's estimate as the worker refines it.
local owner = jget(key, 'owner_key_id')
local after = tonumber(ARGV[3]) or 0
if owner and after ~= before then
  local spend_key = p .. 'spend:' .. owner .. ':' .. string.sub(jget(key, 'created_at'), 1, 7)
  redis.call('INCRBYFLOAT', spend_key, after - before)
  redis.call('EXPIRE', spend_key, 40 * 24 * 3600)
end
return 1
`;

/** ARGV: id, token, now, artifactUri, artifactKey, gcsUriJson, logLine, ttl, durationSeconds → 1 | 0 */
export const FINISH = `${COMMON}
local id, token, now, uri, akey, gcs, line, ttl, dur = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status or not active(status) or jget(key, 'lease_token') ~= token then return 0 end
jset(key, 'status', 'finished')
jset(key, 'stage', 'done')
jset(key, 'progress', 100)
jset(key, 'finished_at', now)
jset(key, 'artifact_uri', uri)
jset(key, 'artifact_key', akey)
redis.call('HSET', key, 'gcs_uri', gcs)
jset(key, 'error', cjson.null)
jset(key, 'lease_token', cjson.null)
move(id, jget(key, 'seq'), status, 'finished')
status_event(id, ttl)
redis.call('INCRBYFLOAT', p .. 'stats:duration_sum', dur)
redis.call('INCR', p .. 'stats:duration_count')
log(id, line, ttl)
touch(id, ttl)
return 1
`;

/** ARGV: id, token ('' = any active lease), now, error, logLine, ttl → 1 | 0 */
export const FAIL = `${COMMON}
local id, token, now, err, line, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status then return 0 end
if status ~= 'queued' and not active(status) then return 0 end
if token ~= '' and jget(key, 'lease_token') ~= token then return 0 end
jset(key, 'status', 'failed')
jset(key, 'finished_at', now)
jset(key, 'error', err)
jset(key, 'lease_token', cjson.null)
move(id, jget(key, 'seq'), status, 'failed')
status_event(id, ttl)
log(id, line, ttl)
touch(id, ttl)
return 1
`;

/** Graceful hand-back. ARGV: id, token, logLine, refund(0|1), ttl → 1 | 0 */
export const REQUEUE = `${COMMON}
local id, token, line, refund, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = p .. 'job:' .. id
local status = jget(key, 'status')
if not status or not active(status) or jget(key, 'lease_token') ~= token then return 0 end
jset(key, 'status', 'queued')
jset(key, 'stage', 'queued')
jset(key, 'lease_token', cjson.null)
jset(key, 'attempts', jget(key, 'attempts') - refund)
move(id, jget(key, 'seq'), status, 'queued')
status_event(id, ttl)
log(id, line, ttl)
touch(id, ttl)
return 1
`;

/** Appends one log line to an existing job. ARGV: id, line, ttl → 1 | 0 */
export const APPEND_LOG = `${COMMON}
local id, line, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', p .. 'job:' .. id) == 0 then return 0 end
log(id, line, ttl)
return 1
`;
