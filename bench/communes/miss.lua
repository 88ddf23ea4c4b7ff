-- Each request with a parameter the API ignores, different every time: such a URL is never kept, so this
-- measures the path that builds an answer (queries, serialisation), a search no one asked before.
local n = 0
local words = {"saint paul", "vence", "st paul vence", "aix", "marseille", "06570", "sur mer", "ville"}

request = function()
  n = n + 1
  local path = "/api/v1/communes?search=" .. words[(n % #words) + 1]:gsub(" ", "%%20") .. "&nonce=" .. n .. "-" .. math.random(1e9)
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.2f\n", latency:percentile(95) / 1000))
  io.write(string.format("NON_2XX %d\n", summary.errors.status))
end
