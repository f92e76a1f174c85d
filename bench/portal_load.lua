-- wrk script for bench/portal_load.sh: GET a rotating list of paths (BENCH_PATHS), or POST a rotating
-- list of form submissions (BENCH_SUBMISSIONS: "path<TAB>form-encoded body" per line) with a CSRF
-- cookie and token (BENCH_COOKIE, BENCH_CSRF). A GET must answer 200 and a submission 302 (the
-- redirect to the receipt); anything else is counted as not ok. Figures go to BENCH_RESULT as JSON.

local paths, bodies = {}, {}
local mode = "GET"
local source = os.getenv("BENCH_PATHS")
if os.getenv("BENCH_SUBMISSIONS") then
    mode = "POST"
    source = os.getenv("BENCH_SUBMISSIONS")
end
local csrf = os.getenv("BENCH_CSRF") or ""
local started = os.getenv("BENCH_FORM_STARTED") or ""
for line in io.lines(source) do
    if line ~= "" then
        if mode == "POST" then
            local path, body = line:match("^([^\t]+)\t(.*)$")
            paths[#paths + 1] = path
            bodies[#bodies + 1] = body .. "&csrfmiddlewaretoken=" .. csrf .. "&form_started=" .. started
        else
            paths[#paths + 1] = line
        end
    end
end
local expected = mode == "POST" and 302 or 200

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
    if mode == "POST" then
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
    end
end

function request()
    position = position + 1
    local index = (position % #paths) + 1
    if mode == "POST" then
        return wrk.format("POST", paths[index], nil, bodies[index])
    end
    return wrk.format("GET", paths[index])
end

function response(status, headers, body)
    if status ~= expected then
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
        '{"requests": %d, "duration_us": %d, "not_ok": %d, '
            .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
            .. '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p95": %d, "p99": %d}}\n',
        summary.requests, summary.duration, bad,
        errors.connect, errors.read, errors.write, errors.status, errors.timeout,
        latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(95),
        latency:percentile(99)
    ))
    out:close()
end
