-- ARGV: id, token, progress (clamped), stage|'', logLine|'', ttl → 1 written | 0 not held
local id, token, progress, stage, line, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], tonumber(ARGV[6])
local key = K.job(id)
local ok, status = held(key, token, 'progress')
if not ok then return 0 end
local current = jget(key, 'progress') or 0
local old_stage = jget(key, 'stage')
if progress > current then jset(key, 'progress', progress) end
if stage ~= '' then jset(key, 'stage', stage) end
local now_progress = jget(key, 'progress')
local now_stage = jget(key, 'stage')
if status ~= 'progress' then
  jset(key, 'status', 'progress')
  move(id, jget(key, 'seq'), status, 'progress')
  status_event(id, ttl)
end
if now_progress ~= current or now_stage ~= old_stage then
  event(id, 'progress', { progress = now_progress, stage = now_stage }, ttl)
end
if line ~= '' then log(id, line, ttl) end
touch(id, ttl)
return 1
