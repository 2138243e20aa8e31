-- The bare handler: same request shape as the skills, fixed answer.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require "common"

local body = skill_body("ceiling-user")

function request()
  return wrk.format("POST", "/ceiling", json_headers, body)
end
