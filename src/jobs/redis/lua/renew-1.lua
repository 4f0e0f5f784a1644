-- Extends a lease. ARGV: id, token, leaseMs → 'ok' | 'canceled' | 'lost'
local id, token, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = K.job(id)
local status = jget(key, 'status')
if status == 'canceled' then return 'canceled' end
if not status or not leased(status) or jget(key, 'lease_token') ~= token then return 'lost' end
local expires = now_ms() + lease_ms
jset(key, 'lease_expires_at', expires)
redis.call('ZADD', K.leases, expires, id)
return 'ok'
