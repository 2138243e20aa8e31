-- Hot deals from a warm cache: the first page most of the time, sometimes the next page or one board.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local first = wrk.format("POST", "/skill/deals", json_headers, skill_body("d-1"))
local next_page = wrk.format("POST", "/skill/deals", json_headers, skill_body("d-1", "", '"cursor":"5"'))
local one_board = wrk.format("POST", "/skill/deals", json_headers, skill_body("d-1", "", '"source":"quasarzone"'))

function request()
  local r = math.random(1, 8)
  if r == 1 then return next_page end
  if r == 2 then return one_board end
  return first
end
