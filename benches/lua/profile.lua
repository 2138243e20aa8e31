-- Every request reads the profile of a random seeded member (BENCH_MEMBERS of them, keys s-1-1..N).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")

function request()
  local user = string.format("s-1-%d", math.random(1, members))
  return wrk.format("POST", "/skill/members/me", json_headers, skill_body(user))
end
