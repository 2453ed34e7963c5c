-- wrk script for bench/run api-create. Every request asks for a transfer of the same 1 KB SFTP
-- file to a target path no other request used, so every request creates a job (201); anything
-- else counts as an error and fails the benchmark.
--   wrk ... -s api-create.lua URL -- SOURCE_ENDPOINT TARGET_ENDPOINT TOKEN RUN_TAG
local threads = {}

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  source, target, token, tag = args[1], args[2], args[3], args[4]
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  counter = 0
  not_created = 0
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"source":{"endpoint_id":"%s","path":"api/one.bin"},"target":{"endpoint_id":"%s","path":"api/%s/%d-%d.bin"}}',
    source, target, tag, thread_no, counter)
  return wrk.format("POST", "/v1/transfers", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then
    not_created = not_created + 1
    if not_created == 1 then io.stderr:write("unexpected " .. status .. ": " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("not_created") end
  local e = summary.errors
  io.write(string.format("WRK requests=%d elapsed_s=%.2f not_created=%d socket_errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration / 1e6, failed, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
