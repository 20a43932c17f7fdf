-- Forgets entries of a link's outbox that were sent (a link without a session, see delivery.ts).
-- An emptied outbox goes, as number.lua's does: its structure costs an idle link memory, and the
-- next commit makes it anew.
-- KEYS[1] the outbox; ARGV the ids of the entries sent
redis.call('XDEL', KEYS[1], unpack(ARGV))
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
