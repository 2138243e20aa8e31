-- Shared by the skill benchmarks: counts answers by HTTP status and prints one JSON summary line.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  responses = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non200") end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.2f,"rps":%.0f,"p50_ms":%.2f,"p99_ms":%.2f,"p999_ms":%.2f,"max_ms":%.2f,"non200":%d,"socket_errors":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

function skill_body(user, params, extra)
  return string.format(
    '{"intent":{"id":"i","name":"bench"},"userRequest":{"timezone":"Asia/Seoul","utterance":"bench",' ..
    '"lang":"ko","block":{"id":"b","name":"bench"},"user":{"id":"%s","type":"botUserKey","properties":{}}},' ..
    '"bot":{"id":"bench-bot","name":"bench"},"action":{"id":"a","name":"bench","params":{%s},"clientExtra":{%s}},"contexts":[]}',
    user, params or "", extra or "")
end

json_headers = { ["Content-Type"] = "application/json" }

-- A random seeded member (BENCH_MEMBERS of them, keys s-1-1..N): real traffic comes from many users, so no
-- per-user state is warm for a benchmark that a crowd would find cold.
local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")
function random_user()
  return string.format("s-1-%d", math.random(1, members))
end
