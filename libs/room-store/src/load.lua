-- Reads a room's snapshot (meta and occupants) in one consistent step.
-- KEYS[1] meta hash, KEYS[2] occupants hash. Returns {meta fields, occupant fields}.
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
