-- The detail of a random product, seen by a random member (now and then its seller).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")

function request()
  local extra = string.format('"productId":"%d"', math.random(1, products))
  return wrk.format("POST", "/skill/products/detail", json_headers, skill_body(random_user(), "", extra))
end
