-- ARGV: id, token, now, error, logLine, ttl → 1 | 0
local id, token, now, err, line, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = K.job(id)
local ok, status = held(key, token, 'failed')
if not ok then return 0 end
jset(key, 'finished_at', now)
jset(key, 'error', err)
drop_image(key)
transition(id, status, 'failed', line, ttl)
return 1
