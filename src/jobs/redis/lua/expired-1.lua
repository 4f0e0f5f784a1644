-- Leases that expired by Redis's clock, oldest first: what recovery looks at (redis-lease-store.ts
-- recoverExpired, then recover-1.lua for each). Entries whose job is gone or no longer leased are
-- dropped. ARGV: limit → {id, token, attempts, …}
local limit = tonumber(ARGV[1])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K.leases, '-inf', now_ms() - 1, 'LIMIT', 0, limit)) do
  local key = K.job(id)
  local status = jget(key, 'status')
  if status == nil or not leased(status) then
    redis.call('ZREM', K.leases, id)
  else
    out[#out + 1] = id
    out[#out + 1] = jget(key, 'lease_token') or ''
    out[#out + 1] = tostring(jget(key, 'attempts'))
  end
end
return out
