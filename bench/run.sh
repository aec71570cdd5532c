#!/usr/bin/env bash
# The benchmarks of docs/benchmarks.md, one function per scenario, each run RUNS times (default 3)
# against wsbridge, bench/floor and nginx + Nchan, with the server and its Redis pinned to one core
# (SERVER_CPU, default 0) and the load tool to the other (LOAD_CPU, default 1; a list such as 1-3 gives
# it several cores, and it runs one load process on each). Every server is
# started fresh for each run and stopped by its PID. Results: one JSON file per run under
# bench/results/<time>/, and summary.md there with the medians and the ratios to floor and Nchan.
#
#   bench/run.sh                      every scenario
#   bench/run.sh idle unicast         some of them: idle broadcast burst unicast unicast-app deep-history
#                                     latency durable catchup presence tls deflate
#   bench/run.sh smoke                tiny versions of all, to check the setup (numbers mean nothing)
#
# Environment: RUNS, SERVER_CPU, LOAD_CPU, SOURCES (127.0.0.1-127.0.0.16), TARGETS ("wsbridge
# wsbridge-coalesced wsbridge-durable floor nchan"; wsbridge-coalesced is wsbridge with
# --write-coalesce-window COALESCE_WINDOW, default 20ms, and runs in the burst scenario;
# wsbridge-durable is wsbridge fed by FCALL, in the durable scenario; wsbridge-receipt is wsbridge fed
# by app-socket publishes that ask for a receipt, in the presence scenario; wsbridge-base is the
# wsbridge binary BASE_WSBRIDGE (another commit's release build), to compare a change; wsbridge-tls is
# wsbridge serving wss:// with a self-signed P-256 certificate made here, in the tls scenario;
# wsbridge-embedded is wsbridge on its embedded broker (no Redis), in the idle and unicast-app scenarios,
# and wsbridge-base-embedded the same for BASE_WSBRIDGE;
# nio-floor is bench/nio-floor, bench/floor's server written with SwiftNIO (a channel per connection);
# wsbridge-deflate and nchan-deflate are wsbridge and Nchan with load connections that offer
# permessage-deflate, Nchan with nchan_deflate_message_for_websocket on, in the deflate scenario), WSB_EXTRA (extra `wsbridge serve`
# flags for every wsbridge run), REDIS_PORT (6390), WSB_PORT (8080), FLOOR_PORT (8081),
# FLOOR_CONTROL_PORT (8082), NCHAN_PORT (8090), NCHAN_MODE (distributed), NO_BUILD=1 to use the
# binaries as built.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

RUNS="${RUNS:-3}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
SOURCES="${SOURCES:-127.0.0.1-127.0.0.16}"
TARGETS="${TARGETS:-wsbridge wsbridge-coalesced wsbridge-durable wsbridge-receipt wsbridge-deflate floor nio-floor nchan nchan-deflate}"
BASE_WSBRIDGE="${BASE_WSBRIDGE:-}"
COALESCE_WINDOW="${COALESCE_WINDOW:-20ms}"
WSB_EXTRA="${WSB_EXTRA:-}"
REDIS_PORT="${REDIS_PORT:-6390}"
WSB_PORT="${WSB_PORT:-8080}"
FLOOR_PORT="${FLOOR_PORT:-8081}"
FLOOR_CONTROL_PORT="${FLOOR_CONTROL_PORT:-8082}"
NCHAN_PORT="${NCHAN_PORT:-8090}"
export NCHAN_MODE="${NCHAN_MODE:-distributed}"

OUT="bench/results/$(date +%Y%m%d-%H%M%S)"
RUNDIR="$(mktemp -d /tmp/wsbridge-bench-run.XXXXXX)"
mkdir -p "$OUT"

if [[ -z "${NO_BUILD:-}" ]]; then
    swift build -c release --product wsbridge
    swift build -c release --product wsbridge-bench
    swift build -c release --product nio-floor
    make -C bench/floor floor
fi
BIN="$(swift build -c release --show-bin-path)"
WSBRIDGE="$BIN/wsbridge"
BENCH="$BIN/wsbridge-bench"
FLOOR="bench/floor/floor"
NIO_FLOOR="$BIN/nio-floor"

# ---- processes we start, stopped by PID ----

REDIS_PID=""
SERVER_PIDS=""
SERVER_KIND=""

wait_port() {
    local port="$1"
    for _ in $(seq 1 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on 127.0.0.1:$port" >&2
    return 1
}

stop_pid() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
}

start_redis() {
    taskset -c "$SERVER_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
        --daemonize no --dir "$RUNDIR" >"$RUNDIR/redis.log" 2>&1 &
    REDIS_PID=$!
    wait_port "$REDIS_PORT"
}

start_server() {
    SERVER_KIND="$1"
    local extra="$WSB_EXTRA"
    case "$1" in
    wsbridge | wsbridge-coalesced | wsbridge-durable | wsbridge-receipt | wsbridge-base | wsbridge-tls | wsbridge-deflate | \
        wsbridge-embedded | wsbridge-base-embedded)
        [[ "$1" != wsbridge-coalesced ]] || extra="$extra --write-coalesce-window $COALESCE_WINDOW"
        if [[ "$1" == wsbridge-tls ]]; then
            [[ -f "$RUNDIR/tls.crt" ]] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -days 2 -subj /CN=wsbridge-bench -addext subjectAltName=IP:127.0.0.1 -keyout "$RUNDIR/tls.key" \
                -out "$RUNDIR/tls.crt" >/dev/null 2>&1
            extra="$extra --tls-cert $RUNDIR/tls.crt --tls-key $RUNDIR/tls.key"
        fi
        [[ -z "${WSB_LOG_LEVEL:-}" ]] || extra="$extra --log-level $WSB_LOG_LEVEL"
        local binary="$WSBRIDGE"
        if [[ "$1" == wsbridge-base* ]]; then
            [[ -x "$BASE_WSBRIDGE" ]] || { echo "wsbridge-base needs BASE_WSBRIDGE=<a wsbridge binary>" >&2; return 1; }
            binary="$BASE_WSBRIDGE"
        fi
        SERVER_KIND=wsbridge
        local broker=(--redis "redis://127.0.0.1:$REDIS_PORT")
        [[ "$1" != *-embedded ]] || broker=()
        # shellcheck disable=SC2086
        taskset -c "$SERVER_CPU" "$binary" serve --listen "127.0.0.1:$WSB_PORT" \
            "${broker[@]}" --auth insecure-query --app-socket "$RUNDIR/app.sock" \
            --admin-listen 127.0.0.1:0 --log-level warning $extra >"$RUNDIR/wsbridge.log" 2>&1 &
        SERVER_PIDS=$!
        wait_port "$WSB_PORT"
        ;;
    floor | nio-floor)
        local floor="$FLOOR"
        [[ "$1" != nio-floor ]] || floor="$NIO_FLOOR"
        taskset -c "$SERVER_CPU" "$floor" --listen "127.0.0.1:$FLOOR_PORT" \
            --control "127.0.0.1:$FLOOR_CONTROL_PORT" >"$RUNDIR/$1.log" 2>&1 &
        SERVER_PIDS=$!
        wait_port "$FLOOR_PORT"
        ;;
    nchan | nchan-deflate)
        local deflate=off
        [[ "$1" != nchan-deflate ]] || deflate=on
        SERVER_KIND=nchan
        NCHAN_DIR="$RUNDIR/nchan" NCHAN_PORT="$NCHAN_PORT" NCHAN_REDIS="redis://127.0.0.1:$REDIS_PORT" \
            NCHAN_CPU="$SERVER_CPU" NCHAN_DEFLATE="$deflate" bench/nchan/nchan.sh start >/dev/null
        SERVER_PIDS="$(NCHAN_DIR="$RUNDIR/nchan" bench/nchan/nchan.sh pids)"
        ;;
    esac
}

stop_all() {
    case "$SERVER_KIND" in
    nchan) NCHAN_DIR="$RUNDIR/nchan" bench/nchan/nchan.sh stop || true ;;
    wsbridge | floor | nio-floor) stop_pid "$SERVER_PIDS" ;;
    esac
    SERVER_PIDS=""
    SERVER_KIND=""
    stop_pid "$REDIS_PID"
    REDIS_PID=""
}
trap 'stop_all; rm -rf "$RUNDIR"' EXIT

# The load tool on its core, with the flags every target needs.
bench() {
    local target="$1"
    shift
    local args=(--target "$target" --sources "$SOURCES" --json)
    for pid in $SERVER_PIDS; do args+=(--server-pid "$pid"); done
    case "$target" in
    wsbridge-coalesced | wsbridge-durable | wsbridge-receipt | wsbridge-base | wsbridge-embedded | wsbridge-base-embedded)
        args=(--target wsbridge "${args[@]:2}" --url "ws://127.0.0.1:$WSB_PORT/ws") ;;
    wsbridge-tls) args=(--target wsbridge "${args[@]:2}" --url "wss://127.0.0.1:$WSB_PORT/ws") ;;
    wsbridge-deflate) args=(--target wsbridge "${args[@]:2}" --url "ws://127.0.0.1:$WSB_PORT/ws" --deflate) ;;
    nchan-deflate) args=(--target nchan "${args[@]:2}" --url "ws://127.0.0.1:$NCHAN_PORT/sub" --deflate) ;;
    wsbridge) args+=(--url "ws://127.0.0.1:$WSB_PORT/ws") ;;
    floor) args+=(--url "ws://127.0.0.1:$FLOOR_PORT/ws") ;;
    nio-floor) args=(--target floor "${args[@]:2}" --url "ws://127.0.0.1:$FLOOR_PORT/ws") ;;
    nchan) args+=(--url "ws://127.0.0.1:$NCHAN_PORT/sub") ;;
    esac
    taskset -c "$LOAD_CPU" "$BENCH" "$@" "${args[@]}"
}

publish_flags() {
    local target="$1"
    case "$target" in
    wsbridge | wsbridge-coalesced | wsbridge-base | wsbridge-tls | wsbridge-deflate) echo "--redis redis://127.0.0.1:$REDIS_PORT --redis-pid $REDIS_PID" ;;
    wsbridge-receipt) echo "--receipt --redis redis://127.0.0.1:$REDIS_PORT --redis-pid $REDIS_PID" ;;
    wsbridge-durable) echo "--via fcall --redis redis://127.0.0.1:$REDIS_PORT --redis-pid $REDIS_PID" ;;
    floor | nio-floor) echo "--floor-control 127.0.0.1:$FLOOR_CONTROL_PORT" ;;
    nchan | nchan-deflate) echo "--nchan-publish http://127.0.0.1:$NCHAN_PORT/pub --redis-pid $REDIS_PID" ;;
    esac
}

# run NAME TARGETS -- ARGS...: RUNS runs of `wsbridge-bench ARGS` against each target, interleaved
# (run 1 of every target, then run 2 of every target...), so that a shared host's drift over the
# minutes of a scenario falls on every target alike instead of on the last one; every other run goes
# through the targets in reverse, so that no target always follows the same one (a heavy run warms
# or loads the host for the next: with a fixed order, one binary measured 7 % more CPU than an
# identical-path other, and 0.99x once the order alternated).
run() {
    local name="$1" targets="$2"
    shift 2
    local reversed
    reversed="$(echo "$targets" | tr ' ' '\n' | tac | tr '\n' ' ')"
    for i in $(seq 1 "$RUNS"); do
        local order="$targets"
        (( i % 2 == 1 )) || order="$reversed"
        for target in $order; do
            [[ " $TARGETS " == *" $target "* ]] || continue
            start_redis
            start_server "$target"
            local file="$OUT/$name.$target.$i.json"
            local extra=()
            # shellcheck disable=SC2207
            [[ "$1" == idle ]] || extra=($(publish_flags "$target"))
            if bench "$target" "$@" "${extra[@]}" >"$file" 2>"$file.err"; then
                echo "$name $target run $i: ok"
            else
                echo "$name $target run $i: FAILED (see $file and $file.err)"
            fi
            stop_all
            case "$target" in
            nchan*) cp "$RUNDIR/nchan/error.log" "$file.server.log" 2>/dev/null || true ;;
            wsbridge*) cp "$RUNDIR/wsbridge.log" "$file.server.log" 2>/dev/null || true ;;
            *) cp "$RUNDIR/$target.log" "$file.server.log" 2>/dev/null || true ;;
            esac
            sleep 1
        done
    done
}

# ---- scenarios: one command each ----
# idle: 19,000 held connections, RSS per connection (and the kernel's socket memory beside it) and
# connects/s; against BASE_WSBRIDGE too when TARGETS names wsbridge-base.
idle() { run idle "wsbridge wsbridge-base wsbridge-embedded wsbridge-base-embedded floor nio-floor nchan" idle --connections 19000 --settle 2; }
# broadcast to 1,000 and to 10,000 connections: 50,000 deliveries/s either way, 1,000,000 in all.
broadcast() {
    run broadcast-1k "wsbridge wsbridge-base floor nio-floor nchan" broadcast --connections 1000 --messages 1000 --rate 50 --warmup 20
    run broadcast-10k "wsbridge wsbridge-base floor nio-floor nchan" broadcast --connections 10000 --messages 100 --rate 5 --warmup 2
}
# burst: 200 messages/s to each of 250 connections (50,000 deliveries/s, as in broadcast: one load core
# cannot read 200 messages/s on 1,000), with and without a write-coalescing window (COALESCE_WINDOW,
# default 20ms), beside the floor.
burst() {
    run burst-250 "wsbridge wsbridge-coalesced floor nio-floor" broadcast --connections 250 --messages 4000 --rate 200 --warmup 40
}
# unicast through Redis: 5,000 messages/s to random users among 1,000.
unicast() { run unicast "wsbridge wsbridge-base floor nio-floor nchan" unicast --connections 1000 --rate 5000 --messages 50000 --warmup 1000; }
# unicast through wsbridge's app socket.
unicast_app() {
    run unicast-app "wsbridge wsbridge-base wsbridge-embedded wsbridge-base-embedded" unicast --connections 1000 --rate 5000 --messages 50000 --warmup 1000 --via app \
        --app-socket "$RUNDIR/app.sock" --wait-subscribers 0
}
# deep-history: app publishes to 10 users on the embedded broker keeping 10,000 messages per stream, so
# each stream's history holds thousands when a message is appended: what a publish costs with a deep
# history (it was a copy of the whole ring per publish).
deep_history() {
    WSB_EXTRA="$WSB_EXTRA --history-size 10000" run deep-history "wsbridge-embedded wsbridge-base-embedded" unicast \
        --connections 10 --rate 5000 --messages 50000 --warmup 1000 --via app --app-socket "$RUNDIR/app.sock" --wait-subscribers 0
}
# durable: the unicast and broadcast scenarios with messages published by FCALL wsbridge_publish
# (history, positions) beside plain PUBLISH, in the same run: Redis CPU per message, server CPU
# per delivery.
durable() {
    run durable-unicast "wsbridge wsbridge-durable" unicast --connections 1000 --rate 5000 --messages 50000 --warmup 1000
    run durable-broadcast-1k "wsbridge wsbridge-durable" broadcast --connections 1000 --messages 1000 --rate 50 --warmup 20
}
# catchup: 10,000 users connected; their subscription killed while 1,000 durable messages to random
# users are published in the same MULTI (so they reach Redis while the node is unsubscribed); the
# time until the node has caught up every stream from the history (bench/catchup.py).
catchup() {
    [[ " $TARGETS " == *" wsbridge "* ]] || return 0
    for i in $(seq 1 "$RUNS"); do
        start_redis
        WSB_LOG_LEVEL=info start_server wsbridge
        local file="$OUT/catchup-10k.wsbridge.$i.json"
        if python3 bench/catchup.py --bench "$BENCH" --load-cpu "$LOAD_CPU" --sources "$SOURCES" \
            --url "ws://127.0.0.1:$WSB_PORT/ws" --redis-port "$REDIS_PORT" --log "$RUNDIR/wsbridge.log" \
            --users "${CATCHUP_USERS:-10000}" --messages "${CATCHUP_MESSAGES:-1000}" >"$file" 2>"$file.err"; then
            echo "catchup wsbridge run $i: ok"
        else
            echo "catchup wsbridge run $i: FAILED (see $file and $file.err)"
        fi
        cp "$RUNDIR/wsbridge.log" "$file.server.log" 2>/dev/null || true
        stop_all
        sleep 1
    done
}
# presence: what a receipt costs (app-socket publishes to random users among 1,000, with and without
# "receipt": true, and the same without a receipt on BASE_WSBRIDGE if given), and what a presence
# query costs (for 1 user and for a batch of 100), all on a Redis-linked wsbridge: server and Redis CPU
# per message or query, publish-to-reply latency; and what keeping presence costs per connection
# (19,000 users connecting: RSS and server CPU per connect, beside BASE_WSBRIDGE if given).
presence() {
    local app=(--via app --app-socket "$RUNDIR/app.sock" --wait-subscribers 0)
    run presence-idle "wsbridge wsbridge-base" idle --connections 19000 --settle 2
    run receipt-unicast "wsbridge wsbridge-receipt wsbridge-base" latency --connections 1000 --rate 2000 --messages 20000 \
        --warmup 1000 "${app[@]}"
    run presence-query-1 "wsbridge" presence --connections 1000 --rate 2000 --messages 20000 --warmup 1000 --batch 1 "${app[@]}"
    run presence-query-100 "wsbridge" presence --connections 1000 --rate 500 --messages 5000 --warmup 200 --batch 100 "${app[@]}"
}
# tls: 10,000 idle connections over wss:// beside ws://: RSS per connection, connects/s and server CPU
# per connect (a full TLS 1.3 handshake with ECDHE P-256 each), and latency through Redis at 1,000/s.
tls() {
    run tls-idle "wsbridge wsbridge-tls" idle --connections 10000 --settle 2
    run tls-latency "wsbridge wsbridge-tls" latency --connections 1000 --rate 1000 --messages 10000 --warmup 500
}
# deflate: broadcast to 1,000 connections at 50 messages/s with 1 KiB payloads of text-like words
# (they compress about 2.5 times), by connections that offer permessage-deflate and by connections
# that do not: server CPU per delivery with and without compression, wsbridge (a message compressed
# once for all) beside Nchan (nchan_deflate_message_for_websocket: also once per message) and the floor;
# then 19,000 idle connections with and without deflate negotiated: RSS and server CPU per connect.
deflate() {
    run deflate-1k "wsbridge wsbridge-deflate floor nchan nchan-deflate" broadcast --connections 1000 --messages 1000 \
        --rate 50 --warmup 20 --payload-bytes 1024
    run deflate-idle "wsbridge wsbridge-deflate" idle --connections 19000 --settle 2
}
# latency through Redis: 1,000 users, 1,000 messages/s.
latency() { run latency "wsbridge wsbridge-base floor nio-floor nchan" latency --connections 1000 --rate 1000 --messages 20000 --warmup 1000; }
# smoke: tiny versions of everything, to check the setup on any machine.
smoke() {
    run smoke-idle "wsbridge floor nio-floor nchan" idle --connections 200 --settle 0.2
    run smoke-broadcast "wsbridge wsbridge-coalesced floor nio-floor nchan" broadcast --connections 200 --messages 50 --rate 100
    run smoke-deflate "wsbridge wsbridge-deflate nchan-deflate" broadcast --connections 200 --messages 50 --rate 100 \
        --payload-bytes 1024
    run smoke-unicast "wsbridge floor nio-floor nchan" unicast --connections 200 --rate 2000 --messages 2000
    run smoke-unicast-app "wsbridge" unicast --connections 200 --rate 2000 --messages 2000 --via app \
        --app-socket "$RUNDIR/app.sock" --wait-subscribers 0
    run smoke-latency "wsbridge floor nio-floor nchan" latency --connections 200 --rate 1000 --messages 2000
    run smoke-durable "wsbridge wsbridge-durable" unicast --connections 200 --rate 2000 --messages 2000
    run smoke-receipt "wsbridge wsbridge-receipt" unicast --connections 200 --rate 1000 --messages 1000 --via app \
        --app-socket "$RUNDIR/app.sock" --wait-subscribers 0
    run smoke-presence "wsbridge" presence --connections 200 --rate 1000 --messages 1000 --batch 10 --via app \
        --app-socket "$RUNDIR/app.sock" --wait-subscribers 0
    CATCHUP_USERS=200 CATCHUP_MESSAGES=50 catchup
}

scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=(idle broadcast burst unicast unicast-app deep-history latency durable catchup)
{
    echo "machine: $(uname -srm); $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "wsbridge: $("$WSBRIDGE" --version); redis: $(redis-server --version | cut -d' ' -f3)"
    echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2); nchan: $(dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null || echo none)"
    echo "runs: $RUNS; server CPU $SERVER_CPU, load CPU $LOAD_CPU; sources $SOURCES; nchan mode $NCHAN_MODE"
} | tee "$OUT/machine.txt"
for scenario in "${scenarios[@]}"; do
    case "$scenario" in
    idle | broadcast | burst | unicast | latency | durable | catchup | presence | tls | deflate | smoke) "$scenario" ;;
    unicast-app) unicast_app ;;
    deep-history) deep_history ;;
    *) echo "unknown scenario $scenario" >&2; exit 2 ;;
    esac
done
python3 bench/summarize.py "$OUT" | tee "$OUT/summary.md"
