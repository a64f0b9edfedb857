-- (a) a public route and (c) the downstream directly: a GET built per request by request(), as the required
-- route's script must do, so that the load generator spends the same on both and the ratio b/a compares the
-- gateway alone.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local path = os.getenv("BENCH_PATH") or "/pub/ping"

request = function()
  return wrk.format("GET", path)
end
