-- POST /api/v1/stock/movements: a transfer of 1 unit of a random product between two
-- different random locations (ledger-writes benchmark). Stock cannot run out in practice:
-- every level starts high and transfers only move it around.
-- WRK_PRODUCTS: a file with one product id per line; WRK_LOCATIONS: location ids, comma
-- separated. Optional: WRK_OTHER_LOCATIONS (ids of another warehouse's locations): each
-- transfer then goes from one set to the other, in a random direction, so it changes both
-- warehouses' available totals and takes the low-stock alert path; WRK_IDEMPOTENCY_PREFIX:
-- each request sends a fresh Idempotency-Key (prefix-thread-counter).
-- done() prints one RESULT line with throughput, latency percentiles (ms) and the count of
-- each response status (s201=…, s409=…).
local products = {}
local locations = {}
local others = {}
local key_prefix = nil
local sent = 0
local threads = {}
statuses = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(os.getenv("WRK_PRODUCTS")) do products[#products + 1] = line end
  for id in string.gmatch(os.getenv("WRK_LOCATIONS"), "[^,]+") do locations[#locations + 1] = id end
  for id in string.gmatch(os.getenv("WRK_OTHER_LOCATIONS") or "", "[^,]+") do
    others[#others + 1] = id
  end
  key_prefix = os.getenv("WRK_IDEMPOTENCY_PREFIX")
  math.randomseed(os.time() * 1000003 + id)
end

function request()
  local product = products[math.random(#products)]
  local source, target
  if #others > 0 then
    source, target = locations[math.random(#locations)], others[math.random(#others)]
    if math.random(2) == 1 then source, target = target, source end
  else
    local from = math.random(#locations)
    local to = from + math.random(#locations - 1)
    if to > #locations then to = to - #locations end
    source, target = locations[from], locations[to]
  end
  local body = string.format(
    '{"kind":"transfer","product_id":"%s","quantity":1,"from_location_id":"%s",'
      .. '"to_location_id":"%s"}',
    product, source, target)
  -- wrk.format replaces (does not merge) the -H headers when given a table: copy them.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  if key_prefix then
    sent = sent + 1
    headers["Idempotency-Key"] = string.format("%s-%d-%d", key_prefix, id, sent)
  end
  return wrk.format("POST", nil, headers, body)
end

local reported = false
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and not reported then
    reported = true
    io.stderr:write("first failure: " .. status .. " " .. body .. "\n")
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do parts[#parts + 1] = string.format("s%d=%d", status, count) end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d seconds=%.3f rps=%.1f p50=%.2f p95=%.2f p99=%.2f "
      .. "max=%.2f %s\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    seconds,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    table.concat(parts, " ")))
end
