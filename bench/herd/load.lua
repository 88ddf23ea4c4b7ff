-- wrk script: each request carries the next of the readers' tokens (read from TOKENS_FILE, none if unset);
-- done() prints one line of JSON.
local threads = {}
local tokens = {}
local file = os.getenv("TOKENS_FILE")
if file and file ~= "" then
  for line in io.lines(file) do tokens[#tokens + 1] = line end
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id * 7919
end

function request()
  counter = counter + 1
  if #tokens == 0 then return wrk.format("GET", wrk.path) end
  local token = tokens[(counter % #tokens) + 1]
  return wrk.format("GET", wrk.path, {Authorization = "Token " .. token})
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "non2xx": %d, ' ..
    '"socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
