-- One payment to the shared rate of a peer service (see rate.ts): a token bucket of `burst`
-- bytes that fills at `rate` bytes a second, on Redis's clock (or ARGV[7], in tests), so that
-- every worker's links to the service share it. A payment of n bytes goes when the bucket holds
-- its priority's reserve plus n (n counted up to what the bucket holds above the reserve: a
-- larger stanza waits for a full bucket and leaves it in debt). Live traffic waits only for its
-- reserve. What waited (the backlog) takes turns: a link that cannot pay, or finds others
-- waiting, is booked a turn at the back (KEYS[2]), due when the bucket will hold its bytes after
-- every turn booked before it; it pays then if its turn is the first still booked (else it comes
-- again later, keeping its place), and on a later payment goes to the back again.
-- KEYS[1] the bucket (hash: tokens, at, free: when the last turn booked is due, b:<link>: when
-- that link said it would come back)
-- KEYS[2] the turns (sorted set: link -> when its turn is due, ms)
-- ARGV[1] rate (bytes/s), ARGV[2] burst, ARGV[3] the reserve, ARGV[4] n (bytes),
-- ARGV[5] '1' if it takes turns (backlog), ARGV[6] the link, ARGV[7] now (ms) or ''
-- Returns the ms to wait before paying again; 0: paid.
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local reserve, n = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = tonumber(ARGV[7])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A turn nobody came for within this long (its link went away) is forgotten.
local STALE = 10000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'free')
local tokens = tonumber(b[1]) or burst
local free = tonumber(b[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - (tonumber(b[2]) or now)) * rate / 1000)
local share = math.min(n, burst - reserve)
local need = reserve + share
local function after(bytes)
  return math.ceil(math.max(bytes, 0) * 1000 / rate)
end

local wait = 0
if ARGV[5] == '1' then
  -- A turn at the head that its link has not come for within STALE of when it said it would
  -- (it went away) is forgotten: it holds nobody back.
  for _ = 1, 16 do
    local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if #head == 0 then break end
    local back = tonumber(redis.call('HGET', KEYS[1], 'b:' .. head[1])) or 0
    if now - math.max(back, tonumber(head[2])) <= STALE then break end
    redis.call('ZREM', KEYS[2], head[1])
    redis.call('HDEL', KEYS[1], 'b:' .. head[1])
  end
  local mine = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[6]))
  if not mine then
    local waiting = redis.call('ZCARD', KEYS[2])
    if waiting == 0 and tokens >= need then
      wait = 0
    else
      -- Nobody waits: its turn is when the bucket holds its bytes; else at the back.
      local due = waiting == 0 and now + after(need - tokens) or math.max(free, now) + after(share)
      redis.call('ZADD', KEYS[2], due, ARGV[6])
      free = math.max(free, due)
      wait = due - now
    end
  elseif mine > now then
    wait = mine - now
  else
    -- Its turn came: only the first turn booked pays, so that live traffic taking the bytes
    -- the turns counted on delays them all without changing their order.
    local rank = redis.call('ZRANK', KEYS[2], ARGV[6])
    if rank == 0 and tokens >= need then
      redis.call('ZREM', KEYS[2], ARGV[6])
      redis.call('HDEL', KEYS[1], 'b:' .. ARGV[6])
      wait = 0
    else
      -- Back when the bucket holds its bytes after (about half of) the turns ahead of it.
      wait = math.max(1, after(math.max(need - tokens, 0) + rank * share / 2))
    end
  end
  if wait > 0 then redis.call('HSET', KEYS[1], 'b:' .. ARGV[6], now + wait) end
elseif tokens < need then
  wait = after(need - tokens)
end
if wait == 0 then
  tokens = tokens - n
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now, 'free', free)
-- Gone once full again and nobody waits: as it would be then anyway.
local ttl = math.max(free - now, after(burst - tokens)) + STALE
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return wait
