-- wrk script: POST one 10-event beacon batch (built by load.sh into $BODY_FILE) from a brand origin.
-- With DELAY_MS set, each connection waits that long between requests (a fixed, lower rate).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Origin"] = "https://www.acme.example"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
if delay_ms > 0 then
  function delay() return delay_ms end
end
local non202 = 0
function response(status, headers, body)
  if status ~= 202 then non202 = non202 + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("RESULT req/s=%.0f events/s=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), 10 * summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
