-- wrk reporter: one machine-readable line with throughput (all answers, and the non-error
-- ones: ok_rps) and latency percentiles (ms).
-- Optional: WRK_PATHS (a file with one path per line) makes each request pick the next path.
local paths = {}
local counter = 0

function init(args)
  local file = os.getenv("WRK_PATHS")
  if file then
    for line in io.lines(file) do paths[#paths + 1] = line end
  end
end

function request()
  if #paths == 0 then return wrk.format(nil) end
  counter = counter + 1
  return wrk.format(nil, paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d rps=%.1f ok_rps=%.1f p50=%.2f p95=%.2f "
      .. "p99=%.2f max=%.2f\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    summary.requests / seconds,
    -- answered and not an error status (wrk's errors.status: 4xx and 5xx; the API sends no
    -- 3xx), so ratios never count failures as throughput
    (summary.requests - summary.errors.status) / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
