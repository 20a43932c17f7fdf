-- Reads a room's snapshot in one consistent step.
-- KEYS[1] meta hash, KEYS[2] occupants hash, KEYS[3] affiliations hash, KEYS[4] links hash,
-- KEYS[5] loss hash (what links' bounded backlogs dropped, see bound.lua).
-- Returns {meta fields, occupant fields, affiliation fields, link fields, loss fields}.
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
  redis.call('HGETALL', KEYS[4]),
  redis.call('HGETALL', KEYS[5]),
}
