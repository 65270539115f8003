-- GET /api/v1/search cycling through WRK_QUERIES (one query per line), each thread
-- starting at a different place in the list.
local queries = {}
for line in string.gmatch(os.getenv("WRK_QUERIES") or "widget", "[^\n]+") do
  table.insert(queries, line)
end
local counter = 0

local function encode(text)
  return (string.gsub(text, "[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  counter = math.random(0, #queries - 1)
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  return wrk.format("GET", wrk.path .. "?limit=20&q=" .. encode(q))
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
    (summary.requests - summary.errors.status) / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
