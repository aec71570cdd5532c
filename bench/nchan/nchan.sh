#!/usr/bin/env bash
# Starts and stops the nginx + Nchan baseline (bench/nchan/nginx.conf.in) by PID.
#
#   bench/nchan/nchan.sh start    render the config, start nginx (master PID in $NCHAN_DIR/master.pid)
#   bench/nchan/nchan.sh pids     the master's and its workers' PIDs, one line (for --server-pid)
#   bench/nchan/nchan.sh stop     SIGTERM to that master, wait for it
#
# Environment: NCHAN_DIR (default /tmp/wsbridge-bench-nchan), NCHAN_PORT (8090), NCHAN_REDIS
# (redis://127.0.0.1:6379), NCHAN_MODE (distributed), NCHAN_WORKERS (1), NCHAN_CPU (a core list for
# taskset, e.g. 0; empty: no pinning), NCHAN_DEFLATE (off; on: nchan_deflate_message_for_websocket, a
# compressed copy of each message for permessage-deflate subscribers). Needs: apt-get install nginx libnginx-mod-nchan.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${NCHAN_DIR:-/tmp/wsbridge-bench-nchan}"
port="${NCHAN_PORT:-8090}"
redis="${NCHAN_REDIS:-redis://127.0.0.1:6379}"
mode="${NCHAN_MODE:-distributed}"
workers="${NCHAN_WORKERS:-1}"
cpu="${NCHAN_CPU:-}"
deflate="${NCHAN_DEFLATE:-off}"

master_pid() {
    [[ -s "$dir/master.pid" ]] && cat "$dir/master.pid"
}

alive() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

case "${1:-}" in
start)
    if alive "$(master_pid || true)"; then
        echo "nchan: already running (pid $(master_pid))" >&2
        exit 1
    fi
    [[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]] || {
        echo "nchan: install nginx and libnginx-mod-nchan first (apt-get install nginx libnginx-mod-nchan)" >&2
        exit 1
    }
    mkdir -p "$dir"
    sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@REDIS@|$redis|g" -e "s|@MODE@|$mode|g" \
        -e "s|@WORKERS@|$workers|g" -e "s|@DEFLATE@|$deflate|g" -e "s|@NOFILE@|$(ulimit -Hn)|g" "$here/nginx.conf.in" > "$dir/nginx.conf"
    prefix=()
    [[ -n "$cpu" ]] && prefix=(taskset -c "$cpu")
    "${prefix[@]}" nginx -t -q -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>"$dir/config-test.log" || {
        cat "$dir/config-test.log" >&2
        exit 1
    }
    "${prefix[@]}" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' </dev/null >>"$dir/stdout.log" 2>&1 &
    echo $! > "$dir/master.pid"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "nchan: nginx pid $(master_pid) on 127.0.0.1:$port (redis $redis, mode $mode)"
            exit 0
        fi
        alive "$(master_pid)" || { cat "$dir/error.log" >&2 || true; exit 1; }
        sleep 0.05
    done
    echo "nchan: nginx did not start listening on 127.0.0.1:$port" >&2
    exit 1
    ;;
pids)
    pid="$(master_pid || true)"
    alive "$pid" || { echo "nchan: not running" >&2; exit 1; }
    echo "$pid $(pgrep -P "$pid" | tr '\n' ' ')"
    ;;
stop)
    pid="$(master_pid || true)"
    if alive "$pid"; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do
            alive "$pid" || break
            sleep 0.05
        done
        alive "$pid" && kill -KILL "$pid"
    fi
    rm -f "$dir/master.pid"
    ;;
*)
    echo "usage: $0 start|pids|stop" >&2
    exit 2
    ;;
esac
