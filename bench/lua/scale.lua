-- (b) of bench/scale: the required route, each request with the bearer token of a live session chosen at random
-- from the first BENCH_TOKEN_COUNT of the file BENCH_TOKENS (all when unset). required.lua builds a header table per
-- token when wrk starts, which for a million tokens takes wrk half a gigabyte and many seconds at every start; here
-- the file stays one string (SessionLoader writes fixed-width lines: 43 characters and a newline) and each request
-- cuts its token out of it.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH") or "/api/ping"
local name = os.getenv("BENCH_TOKENS")
local file = assert(io.open(name, "rb"))
local all = file:read("*a")
file:close()
local width = 44
if #all % width ~= 0 then
  error(name .. " is not a file of 43-character tokens, one a line")
end
local count = #all / width
local limit = tonumber(os.getenv("BENCH_TOKEN_COUNT") or "")
if limit and limit < count then
  count = limit
end
if count == 0 then
  error("no token in " .. name)
end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))

request = function()
  local start = (math.random(count) - 1) * width + 1
  return wrk.format("GET", path, { Authorization = "Bearer " .. all:sub(start, start + 42) })
end
