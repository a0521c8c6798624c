-- wrk script: POST uniquely named Secrets into the namespace given as the first argument.
counter = 0
tid = 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
function init(args)
  ns = args[1] or "default"
  headers = {["Content-Type"] = "application/json"}
  pad = string.rep("dg", 50)
end
request = function()
  counter = counter + 1
  local body = string.format('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s%d-%d","labels":{"bench":"1"}},"data":{"k":"%s"}}', tid, counter, pad)
  return wrk.format("POST", "/api/v1/namespaces/" .. ns .. "/secrets", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d duration_s=%.3f non2xx=%d errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
