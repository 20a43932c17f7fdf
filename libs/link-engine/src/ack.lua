-- The peer acknowledged a link's stanzas up to n (see session.ts): they are forgotten; with
-- ARGV[3] = '1' what follows is to be sent again, as a new run of copies. With ARGV[4] (a
-- timeout: nothing was acknowledged since stanza ARGV[4] was sent, unless acked has reached it),
-- the last stanza sent goes again as a probe: the peer acknowledges it if it has everything, or
-- asks for what it lacks (a gap), so a late acknowledgement (a busy link) costs one stanza, not
-- the whole backlog.
-- An ask names the latest run the peer has seen (ARGV[5]): a newer run, started at or before
-- what it asks for, is on its way and fills it (unless lost: then the peer sees that run without
-- it and asks again naming it), so it is not sent a second time. A stale ask (the peer has
-- acknowledged more since) is ignored too. (Resumptions start their run in prepare.lua.)
-- KEYS[1] the sent stream, KEYS[2] the counters
-- ARGV[1] the session, ARGV[2] n, ARGV[3] resend, ARGV[4] '' or the tx of the timeout,
-- ARGV[5] the run the peer has seen (0: none)
-- Returns {1 when something is to be sent again else 0, tx, acked}.
local counters = redis.call('HMGET', KEYS[2], 'session', 'tx', 'acked', 'resend', 'run', 'from')
if counters[1] ~= ARGV[1] then
  return {0, 0, 0}
end
local tx = tonumber(counters[2] or '0')
local acked = tonumber(counters[3] or '0')
local due = tonumber(counters[4] or '0')
local n = math.min(tonumber(ARGV[2]), tx)
if ARGV[4] ~= '' then
  if acked >= tonumber(ARGV[4]) or acked >= tx then
    return {0, tx, acked}
  end
  -- A resend already due covers the probe.
  if due == 0 then
    redis.call('HSET', KEYS[2], 'resend', tx)
  end
  return {1, tx, acked}
end
local stale = n < acked
if n > acked then
  redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. (n + 1))
  -- An empty stream still costs its structure: an idle link keeps none (the ids are explicit,
  -- so numbering goes on in a new one).
  if redis.call('XLEN', KEYS[1]) == 0 then
    redis.call('DEL', KEYS[1])
  end
  redis.call('HSET', KEYS[2], 'acked', n)
  acked = n
end
if ARGV[3] == '1' and n < tx then
  local run = tonumber(counters[5] or '0')
  local coming = run > (tonumber(ARGV[5]) or 0) and tonumber(counters[6] or '0') <= n + 1
  if stale or coming then
    return {0, tx, acked}
  end
  -- From the earliest stanza asked for, whatever is due already.
  local from = (due > 0 and due < n + 1) and due or n + 1
  redis.call('HSET', KEYS[2], 'resend', from, 'run', run + 1, 'from', from)
  return {1, tx, acked}
end
return {0, tx, acked}
