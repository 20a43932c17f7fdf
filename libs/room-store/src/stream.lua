-- Reading Redis stream entries, read ahead of the scripts that use it (commit.lua, and the link
-- engine's prepare.lua).

-- An entry's fields (a flat list of names and values) by name.
local function fields_of(row)
  local f = {}
  for i = 1, #row, 2 do
    f[row[i]] = row[i + 1]
  end
  return f
end

-- When an entry was added (ms since the epoch): the time part of its id.
local function entry_time(id)
  return tonumber(string.sub(id, 1, string.find(id, '-', 1, true) - 1))
end
