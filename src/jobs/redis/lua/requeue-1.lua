-- Back to the queue (shutdown, or a lease that expired). ARGV: id, token, logLine, refund(0|1), ttl → 1 | 0
local id, token, line, refund, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = K.job(id)
local ok, status = held(key, token, 'queued')
if not ok then return 0 end
jset(key, 'stage', 'queued')
jset(key, 'attempts', jget(key, 'attempts') - refund)
transition(id, status, 'queued', line, ttl)
return 1
