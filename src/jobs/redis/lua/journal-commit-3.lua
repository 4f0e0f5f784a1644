-- Moves a follower's cursor by compare-and-set, only while it holds the lease, adding to its
-- counters and forgetting stored bodies. KEYS: follower hash, lease, memos.
-- ARGV: expected, next, owner|'', counter count, (name, n)*, forget keys*
local cursor = redis.call('HGET', KEYS[1], 'cursor') or ''
if cursor ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2])
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[5 + 2 * i], ARGV[6 + 2 * i])
end
for i = 5 + 2 * n, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
return 1
