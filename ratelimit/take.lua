-- Takes n units from every counter, or from none. Counter i is KEYS[i] with
-- limit ARGV[3i], period ARGV[3i+1] (0 minute, 1 day, 2 month) and n
-- ARGV[3i+2]. Returns 1 if allowed, else 0, then for each counter its
-- remaining units, reset and retry after (microseconds): after the take if
-- it was allowed, else as the counter stands.
local out = {1}
local writes = {}
local afters = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[3 * i])
  local period = tonumber(ARGV[3 * i + 1])
  local n = tonumber(ARGV[3 * i + 2])
  local remaining, reset, retry, ok
  if period == 0 then
    local tat = gcra_tat(KEYS[i])
    local after = tat + math.floor(n * MINUTE / limit)
    remaining, reset, retry, ok = gcra_remaining(limit, tat), tat - now, 0, false
    if n > limit then
      retry = reset
    elseif after - now > MINUTE then
      retry = after - MINUTE - now
    else
      ok, afters[i] = true, {gcra_remaining(limit, after), after - now}
      if n > 0 then writes[i] = after end
    end
  else
    local e, used = window_state(KEYS[i], period)
    remaining, reset, retry, ok = math.max(0, limit - used), 0, 0, false
    if used > 0 then reset = e - now end
    if n > limit then
      retry = reset
    elseif used + n > limit then
      retry = e - now
    else
      used = used + n
      ok, afters[i] = true, {limit - used, used > 0 and e - now or 0}
      if n > 0 then writes[i] = {e, used} end
    end
  end
  if not ok then out[1] = 0 end
  out[3 * i - 1], out[3 * i], out[3 * i + 1] = remaining, reset, retry
end
if out[1] == 1 then
  for i = 1, #KEYS do
    out[3 * i - 1], out[3 * i] = afters[i][1], afters[i][2]
    local w = writes[i]
    if type(w) == 'number' then
      set_gcra(KEYS[i], w)
    elseif w then
      set_window(KEYS[i], w[1], w[2])
    end
  end
end
return out
