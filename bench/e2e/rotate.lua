-- wrk script: every request carries the next token of TOKENS (a file of
-- one token per line), round robin, so that with more tokens than the
-- verifier's cache size every request is a token it has not verified.
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  tokens[#tokens + 1] = line
end
local n = tonumber(os.getenv("DISTINCT") or "0")
if n == 0 or n > #tokens then n = #tokens end
local i = 0
request = function()
  i = i % n + 1
  return wrk.format("GET", nil, { Authorization = "Bearer " .. tokens[i] })
end
