-- Adds ARGV[5] units of use to counter KEYS[1] (limit ARGV[3], period
-- ARGV[4]), past its limit if need be. A Day or Month adjustment belongs to
-- the window of the caller's clock (the time of the take it corrects) and is
-- dropped if that window is over.
local limit, period, delta = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if period == 0 then
  local tat = gcra_tat(KEYS[1])
  if delta >= 0 then
    tat = math.min(tat + math.min(math.floor(delta * MINUTE / limit), MAX_DEBT), now + MAX_DEBT)
  else
    tat = tat - math.floor(-delta * MINUTE / limit)
  end
  set_gcra(KEYS[1], tat)
  return 0
end
local e, used = window_state(KEYS[1], period)
if window_end(caller_now, period) < e then return 0 end
set_window(KEYS[1], e, math.max(0, used + delta))
return 0
