-- ARGV: id, prompt, requestJson, createdAt, costJson, idemKey|'' (owner-scoped), hash, logLine, ttl, owner|'',
-- maxQueued|'', maxQueuedForOwner|'', budgetLimit|'', deadline (Redis ms), then the record fields to return (redis-job-record.ts)
-- → {'created', id, round, queued rank, the new record's field values…} | {'replayed'|'key_mismatch', id} | {'queue_full', 'global'|'owner', queued} | {'over_budget', spent} | {'expired', late ms}
-- Past its deadline (by Redis's own clock) the submission does nothing: the API that sent it has
-- stopped waiting and told its client 503, so the job must not exist (redis-clock.ts sets it).
local late = now_ms() - tonumber(ARGV[14])
if late > 0 then return {'expired', tostring(late)} end
local id, prompt, request, created, cost, idem, hash, line, ttl, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
local max_queued, max_owner, budget = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
if idem ~= '' then
  local existing = redis.call('GET', K.idempotency(idem))
  if existing and redis.call('EXISTS', K.job(existing)) == 1 then
    local stored = jget(K.job(existing), 'request_hash')
    if stored == hash then return {'replayed', existing} end
    return {'key_mismatch', existing}
  end
end
if max_queued then
  local queued = redis.call('ZCARD', K.status('queued'))
  if queued >= max_queued then return {'queue_full', 'global', tostring(queued)} end
end
if max_owner and owner ~= '' then
  local queued = redis.call('ZCARD', K.ownerStatus(owner, 'queued'))
  if queued >= max_owner then return {'queue_full', 'owner', tostring(queued)} end
end
if owner ~= '' then
  -- Every owner's month spend is the sum of its jobs' estimates (deleting a job does not refund it).
  local spend_key = K.spend(owner, string.sub(created, 1, 7))
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
-- newcomer's first job waits at most one round. The round orders the ready set (FIFO within a
-- round: ready_score). Rounds restart from 1 whenever the queue runs empty; they are capped at
-- MAX_ROUND, past which order falls back to FIFO.
if redis.call('ZCARD', K.status('queued')) == 0 then
  redis.call('DEL', K.turns)
  redis.call('SET', K.round, 1)
end
local turn_owner = owner == '' and '-' or owner
local current = tonumber(redis.call('GET', K.round) or '1')
local last = tonumber(redis.call('HGET', K.turns, turn_owner) or '0')
local round = math.min(math.max(last + 1, current), MAX_ROUND)
redis.call('HSET', K.turns, turn_owner, round)
local seq = redis.call('INCR', K.seq)
local key = K.job(id)
redis.call('HSET', key,
  'id', cjson.encode(id), 'seq', cjson.encode(seq), 'status', '"queued"', 'stage', '"queued"', 'progress', '0',
  'prompt', cjson.encode(prompt), 'request', cjson.encode(request), 'created_at', cjson.encode(created),
  'started_at', 'null', 'finished_at', 'null', 'gcs_uri', 'null', 'artifact_uri', 'null', 'artifact_key', 'null',
  'error', 'null', 'estimated_cost_usd', cost, 'attempts', '0', 'lease_token', 'null', 'lease_expires_at', 'null',
  'idempotency_key', cjson.encode(idem), 'request_hash', cjson.encode(hash),
  'owner_key_id', owner == '' and 'null' or cjson.encode(owner), 'round', tostring(round))
redis.call('ZADD', K.jobs, seq, id)
if owner ~= '' then
  redis.call('ZADD', K.ownerJobs(owner), seq, id)
  redis.call('ZADD', K.ownerStatus(owner, 'queued'), seq, id)
end
redis.call('ZADD', K.status('queued'), seq, id)
-- Claimable from here, in the same step as the record: no second write can be lost in between.
redis.call('ZADD', K.ready, ready_score(round, seq), id)
if idem ~= '' then
  redis.call('SET', K.idempotency(idem), id)
  if ttl > 0 then redis.call('EXPIRE', K.idempotency(idem), ttl) end
end
status_event(id, ttl)
log(id, line, ttl)
touch(id, ttl)
wake()
-- The new record as the caller would read it, and its place in the queue: no read of its own after.
local reply = {'created', id, tostring(round), redis.call('ZRANK', K.status('queued'), id)}
if #ARGV >= 15 then
  local values = redis.call('HMGET', key, unpack(ARGV, 15))
  for i = 1, #ARGV - 14 do reply[#reply + 1] = values[i] end
end
return reply
