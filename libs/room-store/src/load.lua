-- Reads a room's snapshot in one consistent step.
-- KEYS[1] meta hash, KEYS[2] occupants hash, KEYS[3] affiliations hash.
-- Returns {meta fields, occupant fields, affiliation fields}.
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
