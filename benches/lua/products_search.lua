-- Search with words that match many, few, or no products (the seeded names and descriptions use them).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local words = { "아이폰", "자전거", "책상", "캠핑", "노트북", "없는단어", "7", "미개봉" }

function request()
  local params = string.format('"query":"%s"', words[math.random(1, #words)])
  return wrk.format("POST", "/skill/products/search", json_headers, skill_body("s-1-3", params))
end
