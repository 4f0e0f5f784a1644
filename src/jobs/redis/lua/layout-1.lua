-- Brings a store written by a ttv that delivered jobs through BullMQ (no ready or lease set) into this
-- layout, once: every queued job enters the ready set and every leased job the lease set (an expired
-- lease is then recovered as any other). ARGV: none → 1 adopted | 0 already in this layout
if redis.call('GET', K.layout) == KEY_LAYOUT then return 0 end
for _, id in ipairs(redis.call('ZRANGE', K.status('queued'), 0, -1)) do
  local key = K.job(id)
  local seq = jget(key, 'seq')
  if seq then redis.call('ZADD', K.ready, 'NX', ready_score(tonumber(redis.call('HGET', key, 'round') or '0') or 0, seq), id) end
end
for status in pairs(LEASED) do
  for _, id in ipairs(redis.call('ZRANGE', K.status(status), 0, -1)) do
    local key = K.job(id)
    if jget(key, 'seq') then redis.call('ZADD', K.leases, 'NX', jget(key, 'lease_expires_at') or 0, id) end
  end
end
redis.call('SET', K.layout, KEY_LAYOUT)
wake()
return 1
