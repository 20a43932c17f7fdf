-- The bounded backlog of a federation link (libs/fmuc-core/README.md, "Bounded backlogs"): read
-- ahead of commit.lua, which appends the entries and calls bound() for each link it wrote to
-- (stream.lua's functions are read ahead of both).
-- While a link is not up (its peer is away, or not joined yet), its outbox holds at most
-- max_bytes of entries, none older than the age bound: the oldest go first. The copies a session
-- keeps for such a peer (its sent stream) go once the oldest of them is older than the age
-- bound: that session cannot be resumed any more. A link that is up is left alone: its delivery
-- drains it, and the state and history its return sends must cross whole; a link that is gone
-- sends what is left (its leave, <left/>). What goes is remembered in the room's loss hash (peer -> JSON
-- {stanzas, messages, since}) until the link's return reports it.
-- Each outbox entry carries 'o', the bytes appended to its outbox up to and including it, so the
-- bytes held from an entry to the tail are tail.o - entry.o + its own size: a commit reads two
-- entries, not the whole stream, and nothing where entries leave needs to keep count.

-- An entry's bytes: its field names and values but 'o'.
local function entry_bytes(row)
  local n = 0
  for i = 1, #row, 2 do
    if row[i] ~= 'o' then
      n = n + #row[i] + #row[i + 1]
    end
  end
  return n
end

-- Whether a stanza dropped is a message someone said (a history entry is one).
local function is_message(kind, value)
  if kind == 'h' then
    return true
  end
  return string.sub(value, 1, 8) == '<message' and string.find(value, '<body', 1, true) ~= nil
end

-- The bytes appended to an outbox so far (the tail's 'o'; 0 when it is empty).
local function appended(outbox)
  local tail = redis.call('XREVRANGE', outbox, '+', '-', 'COUNT', 1)[1]
  return tail and (tonumber(fields_of(tail[2]).o) or 0) or 0
end

local function note(loss, time, message)
  loss.stanzas = loss.stanzas + 1
  if message then
    loss.messages = loss.messages + 1
  end
  if not loss.since or time < loss.since then
    loss.since = time
  end
end

-- Drops the oldest entries of the outbox until what is left is within both bounds.
local function trim_outbox(outbox, loss, max_bytes, cutoff)
  local total = appended(outbox)
  local cursor, keep = '-', nil
  repeat
    local rows = redis.call('XRANGE', outbox, cursor, '+', 'COUNT', 64)
    for _, row in ipairs(rows) do
      local f = row[2]
      local held = total - (tonumber(fields_of(f).o) or 0) + entry_bytes(f)
      if entry_time(row[1]) >= cutoff and held <= max_bytes then
        keep = row[1]
        break
      end
      note(loss, entry_time(row[1]), is_message(f[1], f[2]))
      cursor = '(' .. row[1]
    end
  until keep or #rows < 64
  if loss.stanzas > 0 then
    if keep then
      redis.call('XTRIM', outbox, 'MINID', keep)
    else
      redis.call('DEL', outbox)
    end
  end
end

-- Drops the copies kept for a peer that is away, once the oldest is older than the age bound.
local function expire_sent(sent, loss, cutoff)
  local oldest = redis.call('XRANGE', sent, '-', '+', 'COUNT', 1)[1]
  if not oldest or tonumber(fields_of(oldest[2]).t) >= cutoff then
    return
  end
  for _, row in ipairs(redis.call('XRANGE', sent, '-', '+')) do
    local f = fields_of(row[2])
    note(loss, tonumber(f.t), is_message('s', f.s))
  end
  redis.call('DEL', sent)
end

-- Adds what was dropped to what the link lost before; returns whether it had lost nothing yet.
local function remember(lost, peer, loss)
  local json = redis.call('HGET', lost, peer)
  local known = json and cjson.decode(json) or { stanzas = 0, messages = 0, since = loss.since }
  known.stanzas = known.stanzas + loss.stanzas
  known.messages = known.messages + loss.messages
  known.since = math.min(known.since, loss.since)
  redis.call('HSET', lost, peer, cjson.encode(known))
  return not json
end

-- Keeps a link's outbox and sent stream within the bounds; returns what went ({stanzas = 0} for
-- nothing), with first = whether the link had lost nothing before.
local function bound(outbox, sent, links, lost, peer, max_bytes, cutoff)
  local loss = { stanzas = 0, messages = 0 }
  local json = redis.call('HGET', links, peer)
  if not json or cjson.decode(json).state == 'up' then
    return loss
  end
  trim_outbox(outbox, loss, max_bytes, cutoff)
  expire_sent(sent, loss, cutoff)
  if loss.stanzas > 0 then
    loss.first = remember(lost, peer, loss)
  end
  return loss
end

-- The server's clock in ms, as stream ids have it.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
