-- POST /api/v1/stock/movements: every connection issues or receives 1 unit of the same
-- product at the same location (hot-SKU benchmark). Issues are a little more frequent than
-- receipts, so the level keeps touching 0 and the guard answers 409 insufficient-stock.
-- WRK_HOT_PRODUCT, WRK_HOT_LOCATION: the ids; WRK_ISSUE_SHARE: the share of issues (0.6);
-- WRK_REF_PREFIX: the prefix of each request's unique `reference`; WRK_HOT_OUT: done()
-- writes there the reference of every 2xx response ("<reference> <kind>" per line), so the
-- caller can compare what clients were told with the ledger.
local product = os.getenv("WRK_HOT_PRODUCT")
local location = os.getenv("WRK_HOT_LOCATION")
local share = tonumber(os.getenv("WRK_ISSUE_SHARE") or "0.6")
local prefix = os.getenv("WRK_REF_PREFIX") or "hot"
local threads = {}
local counter = 0
ok = {}
statuses = {}
refused = 0

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000003 + id)
end

function request()
  counter = counter + 1
  local reference = string.format("%s-%d-%d", prefix, id, counter)
  local body
  if math.random() < share then
    body = string.format(
      '{"kind":"issue","product_id":"%s","quantity":1,"from_location_id":"%s",'
        .. '"reference":"%s"}', product, location, reference)
  else
    body = string.format(
      '{"kind":"receipt","product_id":"%s","quantity":1,"to_location_id":"%s",'
        .. '"reference":"%s"}', product, location, reference)
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    local reference = string.match(body, '"reference":"([^"]+)"')
    local kind = string.match(body, '"kind":"(%a+)"')
    ok[#ok + 1] = (reference or "?") .. " " .. (kind or "?")
  elseif status == 409 and string.find(body, "insufficient-stock", 1, true) then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  local refusals = 0
  local out = io.open(os.getenv("WRK_HOT_OUT"), "w")
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
    for _, line in ipairs(thread:get("ok")) do out:write(line, "\n") end
    refusals = refusals + thread:get("refused")
  end
  out:close()
  local parts = {}
  for status, count in pairs(counts) do parts[#parts + 1] = string.format("s%d=%d", status, count) end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d seconds=%.3f rps=%.1f p50=%.2f p95=%.2f p99=%.2f "
      .. "max=%.2f insufficient=%d %s\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    seconds,
    summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    refusals,
    table.concat(parts, " ")))
end
