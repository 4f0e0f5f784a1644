-- Writes one segment record (segment-records.ts) for the lease holder only, so a worker that lost the
-- job cannot overwrite what the new holder recorded. The hash expires with the job record (touch).
-- ARGV: id, token, segment, recordJson, ttl → 1 written | 0 not held
local id, token, segment, record, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = K.job(id)
local status = jget(key, 'status')
if not status or not leased(status) or jget(key, 'lease_token') ~= token then return 0 end
redis.call('HSET', K.segments(id), segment, record)
touch(id, ttl)
return 1
