-- wrk script for bench/http_pages.sh: rotate through a list of paths with a session cookie,
-- count every response that is not a 200 (wrk itself counts 3xx as success, and a login redirect
-- would look fast), and write the figures as JSON.
--
--   BENCH_PATHS=file BENCH_COOKIE='sessionid=...' BENCH_RESULT=out.json wrk -s bench/http_pages.lua ...
--
-- Each thread starts at its own place in the list, so concurrent connections ask for different pages.

local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
    if line ~= "" then
        paths[#paths + 1] = line
    end
end
local cookie = os.getenv("BENCH_COOKIE") or ""

local threads = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(threads, thread)
end

function init(args)
    position = (thread_number - 1) * 37
    not_ok = 0
    if cookie ~= "" then
        wrk.headers["Cookie"] = cookie
    end
end

function request()
    position = position + 1
    return wrk.format("GET", paths[(position % #paths) + 1])
end

function response(status, headers, body)
    if status ~= 200 then
        not_ok = not_ok + 1
    end
end

function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do
        bad = bad + thread:get("not_ok")
    end
    local errors = summary.errors
    local out = io.open(os.getenv("BENCH_RESULT"), "w")
    out:write(string.format(
        '{"requests": %d, "duration_us": %d, "bytes": %d, "not_200": %d, '
            .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
            .. '"latency_us": {"min": %d, "mean": %.1f, "stdev": %.1f, "max": %d, '
            .. '"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d}}\n',
        summary.requests, summary.duration, summary.bytes, bad,
        errors.connect, errors.read, errors.write, errors.status, errors.timeout,
        latency.min, latency.mean, latency.stdev, latency.max,
        latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
        latency:percentile(99.9)
    ))
    out:close()
end
