#!/usr/bin/env bash
# Builds wsbridge and runs it on the embedded broker (one host, no Redis) with the Python demo app
# attached; prints the URLs to open. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

LISTEN="${LISTEN:-127.0.0.1:8080}"
HTTP="${HTTP:-127.0.0.1:8000}"
rundir="$(mktemp -d -t wsbridge-demo.XXXXXX)"
socket="$rundir/app.sock"

swift build --product wsbridge
bin="$(swift build --show-bin-path)/wsbridge"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$rundir"
}
trap cleanup EXIT INT TERM

"$bin" serve --auth app --listen "$LISTEN" --app-socket "$socket" &
pids+=($!)
for _ in $(seq 1 100); do
    [ -S "$socket" ] && break
    sleep 0.1
done
[ -S "$socket" ] || { echo "demo: wsbridge did not start" >&2; exit 1; }

python3 examples/python/demo_app.py --socket "$socket" --ws-url "ws://$LISTEN/ws" --http "$HTTP" &
pids+=($!)
echo "demo: wsbridge on ws://$LISTEN/ws, demo app serving http://$HTTP/ — open a link the demo app prints (Ctrl-C stops both)"
wait -n "${pids[@]}"
