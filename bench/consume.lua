-- The wrk script of bench/consume.py. Run with as many threads as connections (-t N -c N):
-- each thread is one client with one connection, sending one request at a time.
--
--   wrk -t N -c N -d 10s -s bench/consume.lua URL -- DIR KIND LABEL
--
-- Thread i reads its client from DIR/client-i.txt (line 1: the API token; line 2: the SKU
-- code; then one item per line: an Activation ID for renew, "Activation-ID quantity" for
-- increase, a voucher code for redeem) and writes one line per answer to DIR/ack-i.txt:
-- the status, then the consumption's id (or the redeemed voucher's code), or the start of
-- the error body. A redeeming thread that has used all its codes stops.

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  dir, kind, label = args[1], args[2], args[3]
  local file = assert(io.open(dir .. "/client-" .. id .. ".txt"))
  local token = file:read("*l")
  sku = file:read("*l")
  items, quantities = {}, {}
  for line in file:lines() do
    local item, quantity = line:match("^(%S+)%s*(%d*)$")
    items[#items + 1] = item
    quantities[#items] = tonumber(quantity)
  end
  file:close()
  log = assert(io.open(dir .. "/ack-" .. id .. ".txt", "w"))
  log:setvbuf("line")
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  sent = 0
end

function request()
  sent = sent + 1
  local key = label .. "-" .. id .. "-" .. sent
  if kind == "create" then
    return wrk.format("POST", "/api/v1/licences", headers,
      '{"sku":"' .. sku .. '","quantity":1,"terms":1,"idempotency_key":"' .. key .. '"}')
  elseif kind == "renew" then
    local aid = items[(sent - 1) % #items + 1]
    return wrk.format("POST", "/api/v1/licences/" .. aid .. "/renew", headers,
      '{"terms":1,"idempotency_key":"' .. key .. '"}')
  elseif kind == "increase" then
    local i = (sent - 1) % #items + 1
    quantities[i] = quantities[i] + 1
    return wrk.format("POST", "/api/v1/licences/" .. items[i] .. "/increase", headers,
      '{"quantity":' .. quantities[i] .. ',"idempotency_key":"' .. key .. '"}')
  else
    local code = items[sent]
    if code == nil then
      wrk.thread:stop()
      code = items[#items]
    end
    return wrk.format("POST", "/api/v1/vouchers/redeem", headers,
      '{"code":"' .. code .. '","idempotency_key":"' .. key .. '"}')
  end
end

function response(status, headers, body)
  local id
  if status < 300 then
    id = body:match('"id": ?"([^"]+)"') or body:match('"code": ?"([^"]+)"')
  end
  log:write(status, " ", id or body:sub(1, 160):gsub("\n", " "), "\n")
end

function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
