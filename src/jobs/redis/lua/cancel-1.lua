-- ARGV: id, now, logLine, ttl → {'canceled'|'terminal'|'not_found', previousStatus}
local id, now, line, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = K.job(id)
local status = jget(key, 'status')
if not status then return {'not_found', ''} end
if not can(status, 'canceled') then return {'terminal', status} end
jset(key, 'finished_at', now)
drop_image(key)
transition(id, status, 'canceled', line, ttl)
return {'canceled', status}
