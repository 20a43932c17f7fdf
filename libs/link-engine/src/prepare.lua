-- The start of a delivery round of a federation link: its state, and, on a numbered link, what
-- is to be sent again (see session.ts).
-- KEYS[1] the room's links hash, KEYS[2] the link's sent stream (ids 0-n), KEYS[3] its counters
-- ARGV[1] the peer (field of the links hash), ARGV[2] how many entries to send again at most
-- Returns {link JSON or false, n1, stanza1, queued1, n2, ...}.
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

local function fields(row)
  local f = {}
  for i = 1, #row, 2 do
    f[row[i]] = row[i + 1]
  end
  return f
end

local counters = redis.call('HMGET', KEYS[3], 'session', 'tx', 'resend')
if counters[1] ~= link.session then
  -- A new session: what the old one left unacknowledged is numbered again from 1, except what
  -- the new session's state and history carry again.
  local rows = redis.call('XRANGE', KEYS[2], '-', '+')
  redis.call('DEL', KEYS[2], KEYS[3])
  local n = 0
  for _, row in ipairs(rows) do
    local f = fields(row[2])
    if f.p ~= '1' then
      n = n + 1
      redis.call('XADD', KEYS[2], '0-' .. n, 's', f.s, 't', f.t, 'p', f.p)
    end
  end
  local resend = n > 0 and 1 or 0
  redis.call('HSET', KEYS[3], 'session', link.session, 'tx', n, 'acked', 0, 'resend', resend)
  counters = {link.session, n, resend}
end

local resend = tonumber(counters[3] or '0')
if resend == 0 then
  return {json}
end
local rows = redis.call('XRANGE', KEYS[2], '0-' .. resend, '+', 'COUNT', ARGV[2])
local reply = {json}
local last = 0
for _, row in ipairs(rows) do
  local f = fields(row[2])
  last = tonumber(string.sub(row[1], 3))
  table.insert(reply, last)
  table.insert(reply, f.s)
  table.insert(reply, f.t)
end
local tx = tonumber(counters[2] or '0')
redis.call('HSET', KEYS[3], 'resend', (#rows == 0 or last >= tx) and 0 or last + 1)
return reply
