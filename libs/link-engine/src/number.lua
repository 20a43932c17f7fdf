-- Numbers a batch of a link's outbox: each entry moves to the sent stream as stanza tx+1, ...
-- (see session.ts). An entry a rejoin dropped meanwhile is skipped; one given as '' (a later
-- presence supersedes it) leaves the outbox without a number.
-- KEYS[1] the outbox, KEYS[2] the sent stream, KEYS[3] the counters
-- ARGV[1] the session, then triples: outbox id, stanza or '', '1' if a rejoin replaces it
-- Returns the number of each entry in order (0 for none), or false if the session changed.
local counters = redis.call('HMGET', KEYS[3], 'session', 'tx')
if counters[1] ~= ARGV[1] then
  return false
end
local tx = tonumber(counters[2] or '0')
local numbers = {}
for i = 2, #ARGV, 3 do
  local id, stanza, replaceable = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local n = 0
  if #redis.call('XRANGE', KEYS[1], id, id) == 1 then
    redis.call('XDEL', KEYS[1], id)
    if stanza ~= '' then
      tx = tx + 1
      n = tx
      local queued = string.sub(id, 1, string.find(id, '-', 1, true) - 1)
      redis.call('XADD', KEYS[2], '0-' .. n, 's', stanza, 't', queued, 'p', replaceable)
    end
  end
  table.insert(numbers, n)
end
redis.call('HSET', KEYS[3], 'tx', tx)
-- An emptied outbox goes (its structure costs an idle link memory); the next commit makes it anew.
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
end
return numbers
