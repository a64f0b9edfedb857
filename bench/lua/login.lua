-- (d) logins, and the making of the sessions for (b): POST /wx/login, each request with a code never sent before
-- (BENCH_CODE_PREFIX, unique per run and phase, the thread's number and a counter), so every login reaches WeChat.
-- BENCH_TOKENS_OUT=FILE: write the token of each successful login to FILE, one a line (use -t1), and stop after
-- BENCH_TOKENS_WANTED of them. The status codes are tallied (BENCH_STATUS line).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local prefix = os.getenv("BENCH_CODE_PREFIX") or ("bench" .. os.time())
local out_name = os.getenv("BENCH_TOKENS_OUT")
local wanted = tonumber(os.getenv("BENCH_TOKENS_WANTED") or "")
local counter = 0
local counts = {}
local out = nil
local written = 0
status_tally = ""

request = function()
  counter = counter + 1
  local body = '{"code":"' .. prefix .. "-" .. (thread_number or 0) .. "-" .. counter .. '"}'
  return wrk.format("POST", "/wx/login", { ["Content-Type"] = "application/json" }, body)
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  local parts = {}
  for code, n in pairs(counts) do
    parts[#parts + 1] = code .. "=" .. n
  end
  table.sort(parts)
  status_tally = table.concat(parts, " ")
  if out_name and status == 200 then
    local token = body:match('"token"%s*:%s*"([^"]+)"')
    if token then
      if not out then
        out = assert(io.open(out_name, "a"))
        out:setvbuf("line")
      end
      out:write(token, "\n")
      written = written + 1
      if wanted and written >= wanted then
        bench_finished()
      end
    end
  end
end
