-- A link's stanza to a peer service bounced because the path to it failed (see paths.ts): the
-- bounce is noted (until the service answers a check), and the path is to be checked at once
-- unless a check is on its way already, for an earlier bounce not answered since, or while the
-- path is down (its checks back off). So however many links bounce together, one check goes.
-- KEYS[1] the path's state hash; ARGV[1] the time of the bounce (ISO)
-- Returns 1 when the path is to be checked now, else 0.
local f = redis.call('HMGET', KEYS[1], 'state', 'bouncedAt')
redis.call('HSET', KEYS[1], 'bouncedAt', ARGV[1])
if f[1] == 'down' or f[2] then
  return 0
end
return 1
