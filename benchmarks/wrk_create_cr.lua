-- wrk script: POST uniquely named custom resources. Arguments: the collection path, a file
-- holding the JSON body with the placeholder NAME for the object's name, and a name prefix.
counter = 0
tid = 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
function init(args)
  path = args[1]
  local f = assert(io.open(args[2], "r"))
  template = f:read("*a")
  f:close()
  prefix = args[3] or "w"
  headers = {["Content-Type"] = "application/json"}
end
request = function()
  counter = counter + 1
  local body = string.gsub(template, "NAME", string.format("%s%d-%d", prefix, tid, counter))
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d duration_s=%.3f non2xx=%d errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
