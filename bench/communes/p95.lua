-- wrk prints p50/75/90/99 only: the target is on p95.
done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.2f\n", latency:percentile(95) / 1000))
  io.write(string.format("NON_2XX %d\n", summary.errors.status))
end
