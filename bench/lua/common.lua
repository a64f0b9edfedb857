-- Shared by every bench script (loaded with dofile). At the end of a run wrk calls done(), which prints one line
-- that bench/run reads:
--   BENCH requests=N duration_us=N p50_us=N p75_us=N p90_us=N p99_us=N p999_us=N max_us=N
--         connect=N read=N write=N status=N timeout=N
-- status counts answers >= 400; the others are socket errors and wrk's timeouts. A script that tallies the
-- status codes it saw (global `statuses`, "code=count …") has them printed as a second line, BENCH_STATUS.

local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p75_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
  for _, thread in ipairs(threads) do
    local tally = thread:get("status_tally")
    if tally and tally ~= "" then
      io.write("BENCH_STATUS thread=", thread:get("thread_number"), " ", tally, "\n")
    end
  end
end

-- Stopping before the duration is up: wrk's threads can stop themselves, but wrk itself sleeps out the whole -d.
-- So a thread that is done also creates BENCH_DONE_FILE, and bench/run interrupts wrk (SIGINT: wrk then prints its
-- results as usual).
function bench_finished()
  local marker = os.getenv("BENCH_DONE_FILE")
  if marker then
    local f = io.open(marker, "w")
    if f then f:close() end
  end
  wrk.thread:stop()
end

-- BENCH_STOP_AFTER=N: each thread stops after N answers (with -t1 -c1, a fixed number of requests).
local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
if stop_after then
  local answered = 0
  response = function(status, headers, body)
    answered = answered + 1
    if answered >= stop_after then
      bench_finished()
    end
  end
end
