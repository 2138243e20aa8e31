-- A member's own offers (내 제안), newest first: one indexed read joined to products and members.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")

function request()
  local user = string.format("s-1-%d", math.random(1, members))
  return wrk.format("POST", "/skill/offers/mine", json_headers, skill_body(user))
end
