-- Applies one decision's mutations to a room atomically, if the room is still at the version the
-- decision was taken on.
-- Each link written to is kept within its bounds (bound.lua, read ahead of this script).
-- KEYS[1] meta hash, KEYS[2] occupants hash (nick -> JSON), KEYS[3] history stream,
-- KEYS[4] affiliations hash (bare JID -> affiliation), KEYS[5] links hash (peer -> JSON),
-- KEYS[6] loss hash (peer -> JSON, see bound.lua),
-- KEYS[7..] per link peer written to: its outbox (stream), sent stream and session counters
-- ARGV[1] expected version token "salt:version" (":0" for a room that does not exist)
-- ARGV[2] the trace context of the commit ("" for none), kept with each outbox entry
-- ARGV[3] an outbox's bound in bytes, ARGV[4] in age (ms)
-- ARGV[5] the link peers of KEYS[7..], in order, separated by spaces
-- ARGV[6..] mutations as triples: op, a, b
-- Returns {1, version, lastHistoryId, then per link that dropped traffic: peer, stanzas,
-- messages, 1 if it had lost nothing before else 0} when committed, {0} when the room has
-- moved on.
local meta, occupants, history, affiliations, links = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local lost = KEYS[6]
local state = redis.call('HMGET', meta, 'salt', 'version', 'hist_last')
local version = tonumber(state[2] or '0')
if ARGV[1] ~= (state[1] or '') .. ':' .. version then
  return {0}
end

-- Sets a hash field, or deletes it when the value is empty.
local function set_or_delete(key, field, value)
  if value == '' then
    redis.call('HDEL', key, field)
  else
    redis.call('HSET', key, field, value)
  end
end

local peers = {}
for peer in string.gmatch(ARGV[5], '%S+') do
  table.insert(peers, peer)
end
-- The peer whose keys start at KEYS[i].
local function peer_at(i)
  return peers[(i - 7) / 3 + 1]
end

-- Appends an outbox entry: its kind ('s' stanza, 'p' replaceable stanza, 'h' history entry) and
-- value, the context it was produced in (field 'c'), if any, and the bytes appended so far
-- (field 'o', see bound.lua).
local context = ARGV[2]
local written = {} -- KEYS index of a link's outbox -> bytes appended to it
local function out(i, kind, value)
  local key = KEYS[i]
  local entry = context == '' and { kind, value } or { kind, value, 'c', context }
  written[i] = (written[i] or appended(key)) + entry_bytes(entry)
  table.insert(entry, 'o')
  table.insert(entry, written[i])
  redis.call('XADD', key, '*', unpack(entry))
end

local changed = false
local last = state[3] or ''
for i = 6, #ARGV, 3 do
  local op, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'create' then
    redis.call('DEL', meta, occupants, history, affiliations, links, lost)
    redis.call('HSET', meta, 'salt', a, 'config', b, 'locked', '1')
    last = ''
    changed = true
  elseif op == 'put' then
    redis.call('HSET', occupants, a, b)
    changed = true
  elseif op == 'del' then
    redis.call('HDEL', occupants, a)
    changed = true
  elseif op == 'meta' then
    redis.call('HSET', meta, a, b)
    changed = true
  elseif op == 'aff' then
    set_or_delete(affiliations, a, b)
    changed = true
  elseif op == 'link' then
    set_or_delete(links, a, b)
    changed = true
  elseif op == 'unlink' then
    -- The link ended: its session's numbered traffic and counters go with it, and what it lost.
    redis.call('DEL', KEYS[tonumber(a) + 1], KEYS[tonumber(a) + 2])
    redis.call('HDEL', lost, peer_at(tonumber(a)))
  elseif op == 'forgetloss' then
    -- The link's return reported what it lost.
    redis.call('HDEL', lost, a)
    changed = true
  elseif op == 'hist' then
    if tonumber(a) > 0 then
      last = redis.call('XADD', history, 'MAXLEN', a, '*', 'e', b)
      redis.call('HSET', meta, 'hist_last', last)
    end
  elseif op == 'out' then
    out(tonumber(a), 's', b)
  elseif op == 'outp' then
    -- Traffic that a rejoin's state and history carry again (room presence, messages).
    out(tonumber(a), 'p', b)
  elseif op == 'outdrop' then
    -- A rejoin: the waiting traffic that its state and history replace goes.
    for _, row in ipairs(redis.call('XRANGE', KEYS[tonumber(a)], '-', '+')) do
      if row[2][1] == 'p' then
        redis.call('XDEL', KEYS[tonumber(a)], row[1])
      end
    end
  elseif op == 'outh' then
    -- The latest history entries for a link, oldest first: those after the entry with id
    -- `after` if the history still has it, else none before `since`. The link's sender turns
    -- each into a history message for the peer.
    local want = cjson.decode(b)
    local rows = redis.call('XREVRANGE', history, '+', '-', 'COUNT', want.count)
    local oldest, found = #rows, false
    for j = 1, #rows do
      if want.after ~= '' and cjson.decode(rows[j][2][2]).id == want.after then
        oldest, found = j - 1, true
        break
      end
    end
    for j = oldest, 1, -1 do
      local entry = rows[j][2][2]
      if found or want.since == '' or cjson.decode(entry).stamp >= want.since then
        out(tonumber(a), 'h', entry)
      end
    end
  elseif op == 'destroy' then
    redis.call('DEL', meta, occupants, history, affiliations, links, lost)
    return {1, 0, ''}
  else
    return redis.error_reply('unknown mutation ' .. tostring(op))
  end
end

-- The links written to stay within their bounds; what they drop changes the snapshot (its
-- losses), so the version moves.
local reply = {}
local cutoff = now_ms() - tonumber(ARGV[4])
for i, _ in pairs(written) do
  local loss = bound(KEYS[i], KEYS[i + 1], links, lost, peer_at(i), tonumber(ARGV[3]), cutoff)
  if loss.stanzas > 0 then
    changed = true
    for _, v in ipairs({ peer_at(i), loss.stanzas, loss.messages, loss.first and 1 or 0 }) do
      table.insert(reply, v)
    end
  end
end

if changed then
  version = version + 1
  redis.call('HSET', meta, 'version', version)
end
return {1, version, last, unpack(reply)}
