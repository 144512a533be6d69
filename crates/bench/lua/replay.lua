-- Replays pre-signed raw requests: wrk thread k sends each record of <file>.<k>
-- (records end with a NUL byte) exactly once, optionally writes every answer to
-- <capture>.<k> as "status body" lines, and says "done" on stdout when its last
-- answer is in; the harness then stops wrk with SIGINT, so the reported duration is
-- the time the requests took, not a fixed -d.
-- Arguments: <file> [<capture>|-]

local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local file = assert(io.open(args[1] .. "." .. id, "rb"))
  local data = file:read("*a")
  file:close()
  records = {}
  local pos = 1
  while true do
    local stop = string.find(data, "\0", pos, true)
    if not stop then break end
    records[#records + 1] = string.sub(data, pos, stop - 1)
    pos = stop + 1
  end
  sent, received = 0, 0
  -- wrk calls the first thread's request() once before the run to check the
  -- request's shape; that call must not use up a record.
  checking = (id == 0)
  if args[2] and args[2] ~= "-" then
    capture = assert(io.open(args[2] .. "." .. id, "wb"))
  end
end

function request()
  if checking then
    checking = false
    return records[1]
  end
  -- An empty request sends nothing: the connection idles until wrk stops.
  if sent == #records then return "" end
  sent = sent + 1
  return records[sent]
end

function response(status, headers, body)
  received = received + 1
  if capture then capture:write(status, " ", body, "\n") end
  if received == #records then
    if capture then capture:close() end
    io.write("lunas-bench: done\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'lunas-bench: {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
