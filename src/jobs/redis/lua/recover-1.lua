-- Takes a job from a worker that stopped renewing its lease (dead, or cut off from Redis): back to
-- the queue ('requeue'), or failed at the attempt limit ('fail'), as the caller decided from the
-- attempts it read with the same token. Only while that lease still holds the job and has expired by
-- Redis's clock, and only when the script runs by its deadline (Redis ms): a script that waited out a
-- Redis stall in a socket would judge leases that nobody could renew during the stall.
-- ARGV: id, token, deadline, mode, error|'', logLine, now, ttl → 'recovered' | 'late' | 'alive' | 'gone'
local id, token, deadline, mode, err, line, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local at = now_ms()
if at > deadline then return 'late' end
local key = K.job(id)
local to = mode == 'fail' and 'failed' or 'queued'
local ok, status = held(key, token, to)
if not ok then return 'gone' end
local expires = jget(key, 'lease_expires_at')
if expires ~= nil and expires >= at then return 'alive' end
if to == 'failed' then
  jset(key, 'finished_at', now)
  jset(key, 'error', err)
  drop_image(key)
else
  jset(key, 'stage', 'queued')
end
transition(id, status, to, line, ttl)
return 'recovered'
