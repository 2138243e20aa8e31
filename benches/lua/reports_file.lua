-- A member reports a random product with a reason (신고): the first report of a member and product is
-- written (three reporters hold the product), later ones are told it is already reported. A write each time:
-- the product's row, then the insert (and the hold check).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")
local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")

function request()
  local user = string.format("s-1-%d", math.random(1, members))
  local extra = string.format('"productId":"%d","reason":"spam"', math.random(1, products))
  return wrk.format("POST", "/skill/reports", json_headers, skill_body(user, "", extra))
end
