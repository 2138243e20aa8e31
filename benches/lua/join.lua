-- Every request joins a new member (unique user key and name), so every call is an INSERT.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local n = 0
local prefix = os.getenv("BENCH_PREFIX") or "j"

function request()
  n = n + 1
  local user = string.format("%s-%d-%d", prefix, id, n)
  local params = string.format('"name":"%s%d_%d","phone":"010-1234-5678"', prefix, id, n)
  return wrk.format("POST", "/skill/members/join", json_headers, skill_body(user, params))
end
