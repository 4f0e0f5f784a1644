-- Appends one log line to an existing job. ARGV: id, line, ttl → 1 | 0
local id, line, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', K.job(id)) == 0 then return 0 end
log(id, line, ttl)
return 1
