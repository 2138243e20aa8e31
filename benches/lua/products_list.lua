-- The main list, asked by random members: the first page most of the time, deeper pages sometimes. A cursor is `listed_at.id`;
-- benches/seed_products.awk lists product i at 1795000000000 + i * 1000.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "10000")

function request()
  if math.random(1, 4) > 1 then
    return wrk.format("POST", "/skill/products", json_headers, skill_body(random_user()))
  end
  local id = math.random(11, products)
  local cursor = string.format('"cursor":"%d.%d"', 1795000000000 + id * 1000, id)
  return wrk.format("POST", "/skill/products", json_headers, skill_body(random_user(), "", cursor))
end
