#!/usr/bin/env bash
# Live heap allocations of a wsbridge daemon by call stack, before and while N idle connections are held,
# and what was added per connection (bench/allocsites/report.py). A profile, not a measurement: the
# daemon runs under allocsites.so (a backtrace per allocation), its RSS is not the benchmark's.
#
#   bench/allocsites/profile.sh [WSBRIDGE] [N]     default: the release build, 5000 connections
#
# Environment: OUT (default /tmp/allocsites), REDIS_PORT (6390), WSB_PORT (8080), SERVER_CPU (0),
# LOAD_CPU (1), BROKER (redis, or embedded: the daemon without --redis). Redis, the daemon and the load tool are started here and stopped by their PIDs.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"
BIN_DIR="$(swift build -c release --show-bin-path)"
WSBRIDGE="${1:-$BIN_DIR/wsbridge}"
N="${2:-5000}"
BENCH="$BIN_DIR/wsbridge-bench"
OUT="${OUT:-/tmp/allocsites}"
REDIS_PORT="${REDIS_PORT:-6390}"
WSB_PORT="${WSB_PORT:-8080}"
mkdir -p "$OUT"
rm -f "$OUT"/dump.*.txt "$OUT/trigger"
gcc -O2 -fPIC -shared -o "$OUT/allocsites.so" bench/allocsites/allocsites.c -ldl -lpthread
RUN="$(mktemp -d /tmp/allocsites-run.XXXXXX)"
REDIS_PID=""
WSB_PID=""
cleanup() {
    [[ -z "$WSB_PID" ]] || kill "$WSB_PID" 2>/dev/null || true
    [[ -z "$REDIS_PID" ]] || kill "$REDIS_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT

dump() {
    touch "$OUT/trigger"
    while [[ -e "$OUT/trigger" ]]; do sleep 0.1; done
    sleep 1
}

broker=(--redis "redis://127.0.0.1:$REDIS_PORT")
if [[ "${BROKER:-redis}" == embedded ]]; then
    broker=()
else
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$RUN" \
        >"$RUN/redis.log" 2>&1 &
    REDIS_PID=$!
fi
ALLOCSITES_DIR="$OUT" LD_PRELOAD="$OUT/allocsites.so" taskset -c "${SERVER_CPU:-0}" "$WSBRIDGE" serve \
    --listen "127.0.0.1:$WSB_PORT" "${broker[@]}" --auth insecure-query \
    --app-socket "$RUN/app.sock" --admin-listen 127.0.0.1:0 --log-level warning >"$RUN/wsbridge.log" 2>&1 &
WSB_PID=$!
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$WSB_PORT") 2>/dev/null && break; sleep 0.1; done
sleep 1
descriptors=$(ls "/proc/$WSB_PID/fd" | wc -l)
dump
# Held long enough for the second dump; the load tool then closes its connections and exits.
taskset -c "${LOAD_CPU:-1}" "$BENCH" idle --connections "$N" --settle 15 --sources 127.0.0.1-127.0.0.16 \
    --url "ws://127.0.0.1:$WSB_PORT/ws" --server-pid "$WSB_PID" --json >"$OUT/bench.json" 2>"$OUT/bench.err" &
BENCH_PID=$!
for _ in $(seq 1 1500); do
    [[ $(ls "/proc/$WSB_PID/fd" | wc -l) -ge $((descriptors + N)) ]] && break
    sleep 0.2
done
sleep 2
dump
wait "$BENCH_PID" || true
python3 bench/allocsites/report.py "$OUT" "$N" | tee "$OUT/report.txt"
