-- A member offers 500원 on a random product (a write: one offer per member and product, replaced after
-- the first time; products not on sale, or the member's own, are refused with a sentence, still HTTP 200).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")
local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")

function request()
  local user = string.format("s-1-%d", math.random(1, members))
  local extra = string.format('"productId":"%d"', math.random(1, products))
  return wrk.format("POST", "/skill/offers/make", json_headers, skill_body(user, '"price":"500"', extra))
end
