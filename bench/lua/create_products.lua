-- POST /api/v1/products with a unique SKU per request (writes benchmark).
local counter = 0
local prefix = os.getenv("WRK_SKU_PREFIX") or "W"

function init(args)
  -- Each run (and each wrk thread) must make SKUs no earlier run made.
  math.randomseed(os.time() * 1000003 + math.floor(os.clock() * 1e6))
end

function request()
  counter = counter + 1
  local body = string.format('{"sku":"%s-%d-%d","name":"Write bench %d","unit":"pcs"}',
    prefix, math.random(1, 2e9), counter, counter)
  -- wrk.format replaces (does not merge) the -H headers when given a table: copy them.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, body)
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

local reported = false
function response(status, headers, body)
  if status >= 300 and not reported then
    reported = true
    io.stderr:write("first failure: " .. status .. " " .. body .. "\n")
  end
end
