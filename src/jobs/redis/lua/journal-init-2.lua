-- A follower's first cursor. KEYS: follower hash, journal stream. ARGV: fromStart (0|1).
-- An empty cursor means "from the start"; otherwise it starts after the newest entry.
if redis.call('HEXISTS', KEYS[1], 'cursor') == 1 then return 0 end
local cursor = ''
if ARGV[1] == '0' then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  cursor = last[1] and last[1][1] or '0-0'
end
redis.call('HSET', KEYS[1], 'cursor', cursor)
return 1
