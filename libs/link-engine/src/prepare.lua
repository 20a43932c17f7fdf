-- The start of a delivery round of a federation link: its state, and, on a numbered link, what
-- is to be sent again (see session.ts).
-- KEYS[1] the room's links hash, KEYS[2] the link's sent stream (ids 0-n), KEYS[3] its counters
-- ARGV[1] the peer (field of the links hash), ARGV[2] how many entries to send again at most
-- Returns {link JSON or false, run, n1, stanza1, queued1, n2, ...}: the copies to send again
-- belong to that run (see ack.lua). Room-store's stream.lua is read ahead of it (fields_of).
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then
  -- The link is gone: what it numbered is of no use any more.
  redis.call('DEL', KEYS[2], KEYS[3])
  return {false}
end
local link = cjson.decode(json)
if link.state ~= 'up' or not link.session then
  return {json}
end

local counters = redis.call('HMGET', KEYS[3], 'session', 'tx', 'resend', 'run', 'acked', 'resumed')
if counters[1] ~= link.session then
  -- A new session: what the old one left unacknowledged is numbered again from 1, except what
  -- the new session's state and history carry again.
  local rows = redis.call('XRANGE', KEYS[2], '-', '+')
  redis.call('DEL', KEYS[2], KEYS[3])
  local n = 0
  for _, row in ipairs(rows) do
    local f = fields_of(row[2])
    if f.p ~= '1' then
      n = n + 1
      redis.call('XADD', KEYS[2], '0-' .. n, 's', f.s, 't', f.t, 'p', f.p)
    end
  end
  local resend = n > 0 and 1 or 0
  local resumed = link.resumed and link.resumed.count or 0
  redis.call('HSET', KEYS[3], 'session', link.session, 'tx', n, 'acked', 0, 'resend', resend,
    'run', resend, 'from', resend, 'resumed', resumed)
  counters = {link.session, n, resend, resend, 0, resumed}
end

local tx = tonumber(counters[2] or '0')
local resend = tonumber(counters[3] or '0')
local run = tonumber(counters[4] or '0')
if link.resumed and link.resumed.count > tonumber(counters[6] or '0') then
  -- The peer resumed the session, having applied rx of its stanzas: those are forgotten, and
  -- what follows goes again first, as a new run of copies (see ack.lua), before anything new.
  local rx = math.min(link.resumed.rx, tx)
  if rx > tonumber(counters[5] or '0') then
    redis.call('XTRIM', KEYS[2], 'MINID', '0-' .. (rx + 1))
    redis.call('HSET', KEYS[3], 'acked', rx)
  end
  if rx < tx then
    resend = (resend > 0 and resend < rx + 1) and resend or rx + 1
    run = run + 1
    redis.call('HSET', KEYS[3], 'resend', resend, 'run', run, 'from', resend)
  end
  redis.call('HSET', KEYS[3], 'resumed', link.resumed.count)
end
if resend == 0 then
  return {json, run}
end
local rows = redis.call('XRANGE', KEYS[2], '0-' .. resend, '+', 'COUNT', ARGV[2])
local reply = {json, run}
local last = 0
for _, row in ipairs(rows) do
  local f = fields_of(row[2])
  last = tonumber(string.sub(row[1], 3))
  table.insert(reply, last)
  table.insert(reply, f.s)
  table.insert(reply, f.t)
end
redis.call('HSET', KEYS[3], 'resend', (#rows == 0 or last >= tx) and 0 or last + 1)
return reply
