-- Copies taken to be sent again (prepare.lua) from stanza n on were not sent: the shared rate of
-- the peer service could not pay for them yet (see rate.ts). What is to be sent again starts at
-- n once more, unless the peer asked meanwhile for earlier stanzas (a lower resend wins). The
-- run of copies stays the one they belong to.
-- KEYS[1] the link's counters; ARGV[1] the session, ARGV[2] n
local counters = redis.call('HMGET', KEYS[1], 'session', 'resend')
if counters[1] ~= ARGV[1] then
  return 0
end
local due = tonumber(counters[2] or '0')
if due == 0 or due > tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'resend', ARGV[2])
end
return 1
