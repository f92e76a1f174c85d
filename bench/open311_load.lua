-- wrk script for bench/open311_load.sh: GET a rotating list of paths (BENCH_PATHS), or POST a
-- rotating list of form-encoded bodies (BENCH_BODIES, one per line) to BENCH_POST_PATH; count every
-- response that is not a 200 and write the figures as JSON to BENCH_RESULT.

local lines = {}
local mode = "GET"
local source = os.getenv("BENCH_PATHS")
if os.getenv("BENCH_BODIES") then
    mode = "POST"
    source = os.getenv("BENCH_BODIES")
end
for line in io.lines(source) do
    if line ~= "" then
        lines[#lines + 1] = line
    end
end
local post_path = os.getenv("BENCH_POST_PATH") or "/open311/v2/requests.json"

local threads = {}
local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(threads, thread)
end

function init(args)
    position = (thread_number - 1) * 101
    not_ok = 0
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
    position = position + 1
    local line = lines[(position % #lines) + 1]
    if mode == "POST" then
        return wrk.format("POST", post_path, nil, line)
    end
    return wrk.format("GET", line)
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
        '{"requests": %d, "duration_us": %d, "not_200": %d, '
            .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
            .. '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
        summary.requests, summary.duration, bad,
        errors.connect, errors.read, errors.write, errors.status, errors.timeout,
        latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(95),
        latency:percentile(99)
    ))
    out:close()
end
