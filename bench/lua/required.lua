-- (b) a required route: every request carries the bearer token of a live session chosen at random, as real
-- traffic from many users would, so that no single session stays hot in a cache.
-- BENCH_TOKENS: a file of tokens, one a line; BENCH_TOKEN_COUNT=N uses only the first N (1: one user).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH") or "/api/ping"
local limit = tonumber(os.getenv("BENCH_TOKEN_COUNT") or "")
local headers = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if line ~= "" then
    headers[#headers + 1] = { Authorization = "Bearer " .. line }
    if limit and #headers >= limit then
      break
    end
  end
end
if #headers == 0 then
  error("no token in " .. os.getenv("BENCH_TOKENS"))
end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))

request = function()
  return wrk.format("GET", path, headers[math.random(#headers)])
end
