-- ARGV: id, token, now, artifactUri, artifactKey, gcsUriJson, logLine, ttl, durationSeconds → 1 | 0
local id, token, now, uri, akey, gcs, line, ttl, dur = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local key = K.job(id)
local ok, status = held(key, token, 'finished')
if not ok then return 0 end
jset(key, 'stage', 'done')
jset(key, 'progress', MAX_PROGRESS)
jset(key, 'finished_at', now)
jset(key, 'artifact_uri', uri)
jset(key, 'artifact_key', akey)
redis.call('HSET', key, 'gcs_uri', gcs)
jset(key, 'error', cjson.null)
drop_image(key)
redis.call('INCRBYFLOAT', K.durationSum, dur)
redis.call('INCR', K.durationCount)
transition(id, status, 'finished', line, ttl)
return 1
