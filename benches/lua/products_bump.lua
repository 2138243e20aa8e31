-- A member bumps a random product (끌어올리기): the seller's own product on sale moves to the top once, every
-- later bump is refused with the wait (the usual answer, since a product is bumped once a day); another
-- member's product is refused. A write attempt each time: one conditional update, then the read of why not.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")
local members = tonumber(os.getenv("BENCH_MEMBERS") or "10000")

function request()
  local user = string.format("s-1-%d", math.random(1, members))
  local extra = string.format('"productId":"%d"', math.random(1, products))
  return wrk.format("POST", "/skill/products/bump", json_headers, skill_body(user, "", extra))
end
