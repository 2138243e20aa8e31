-- Search by random members with words that match many, few, or no products (the seeded names and
-- descriptions use them): two syllables (의자, 노트, 가방), longer words, a phrase, and one character.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local words = { "아이폰", "자전거", "책상", "캠핑", "노트북", "없는단어", "7", "미개봉", "의자", "노트", "가방", "상품입니다. 급처" }

function request()
  local params = string.format('"query":"%s"', words[math.random(1, #words)])
  return wrk.format("POST", "/skill/products/search", json_headers, skill_body(random_user(), params))
end
