-- The main list: the first page most of the time, deeper pages sometimes (cursor below the newest id).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")
local first = wrk.format("POST", "/skill/products", json_headers, skill_body("s-1-1"))

function request()
  if math.random(1, 4) > 1 then return first end
  local cursor = math.random(11, products)
  return wrk.format("POST", "/skill/products", json_headers, skill_body("s-1-1", "", string.format('"cursor":"%d"', cursor)))
end
