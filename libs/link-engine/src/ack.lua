-- The peer acknowledged a link's stanzas up to n (see session.ts): they are forgotten; with
-- ARGV[3] = '1' what follows is to be sent again. With ARGV[4] (a timeout), only if nothing
-- was acknowledged since stanza ARGV[4] was sent, and then from the first unacknowledged one.
-- KEYS[1] the sent stream, KEYS[2] the counters
-- ARGV[1] the session, ARGV[2] n, ARGV[3] resend, ARGV[4] '' or the tx of the timeout
-- Returns {1 when something is to be sent again else 0, tx, acked}.
local counters = redis.call('HMGET', KEYS[2], 'session', 'tx', 'acked')
if counters[1] ~= ARGV[1] then
  return {0, 0, 0}
end
local tx = tonumber(counters[2] or '0')
local acked = tonumber(counters[3] or '0')
local n = math.min(tonumber(ARGV[2]), tx)
if ARGV[4] ~= '' then
  if acked >= tonumber(ARGV[4]) then
    return {0, tx, acked}
  end
  n = acked
end
if n > acked then
  redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. (n + 1))
  redis.call('HSET', KEYS[2], 'acked', n)
  acked = n
end
if ARGV[3] == '1' and n < tx then
  redis.call('HSET', KEYS[2], 'resend', n + 1)
  return {1, tx, acked}
end
return {0, tx, acked}
