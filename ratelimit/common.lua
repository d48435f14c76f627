-- Shared by take.lua and adjust.lua, which repeat state.go's arithmetic in
-- Unix microseconds (exact in Lua's doubles until the year 2255).
-- ARGV[1] is the caller's clock; ARGV[2] is "1" to use the Redis server's
-- clock (TIME) instead, so that replicas with skewed clocks agree.
local MINUTE = 60000000
local DAY = 86400000000
local MAX_DEBT = 366 * DAY

local caller_now = tonumber(ARGV[1])
local now = caller_now
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- fmt writes a number in full (tostring would write 1.7e+15).
local function fmt(x)
  return string.format('%.0f', x)
end

-- ttl is the milliseconds from now until t, at least 1.
local function ttl(t)
  return math.max(1, math.ceil((t - now) / 1000))
end

-- days_from_civil and civil_from_days convert between proleptic Gregorian
-- dates and days since 1970-01-01 (Howard Hinnant's algorithms).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end

-- window_end returns the end of the UTC day (period 1) or month (period 2)
-- that contains t.
local function window_end(t, period)
  local day = math.floor(t / DAY)
  if period == 1 then return (day + 1) * DAY end
  local y, m = civil_from_days(day)
  if m == 12 then y, m = y + 1, 1 else m = m + 1 end
  return days_from_civil(y, m, 1) * DAY
end

-- gcra_tat returns a Minute counter's theoretical arrival time, or now if
-- the counter is full.
local function gcra_tat(key)
  return math.max(tonumber(redis.call('GET', key)) or now, now)
end

-- gcra_remaining is how many whole units fit between tat and now + 1 minute.
local function gcra_remaining(limit, tat)
  local room = now + MINUTE - tat
  if room <= 0 then return 0 end
  return math.min(limit, math.floor(room * limit / MINUTE))
end

-- window_state returns a Day or Month counter's window end and use: those
-- stored, or a new window if the stored one is over.
local function window_state(key, period)
  local h = redis.call('HMGET', key, 'end', 'used')
  local e, used = tonumber(h[1]), tonumber(h[2]) or 0
  if not e or now >= e then return window_end(now, period), 0 end
  return e, used
end

local function set_window(key, e, used)
  if used <= 0 then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'end', fmt(e), 'used', fmt(used))
  redis.call('PEXPIRE', key, ttl(e))
end

local function set_gcra(key, tat)
  if tat <= now then
    redis.call('DEL', key)
    return
  end
  redis.call('SET', key, fmt(tat), 'PX', ttl(tat))
end
