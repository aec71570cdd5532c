#!/usr/bin/env bash
# Builds wsbridge and runs it on the embedded broker (one host, no Redis) with the Python demo app
# attached; prints the URLs to open and a command that publishes to the demo. Ctrl-C stops both.
# Overrides: LISTEN (WebSocket listener, 127.0.0.1:8080), ADMIN_LISTEN (metrics, 127.0.0.1:9188),
# HTTP (the demo app's page, 127.0.0.1:8000).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

LISTEN="${LISTEN:-127.0.0.1:8080}"
ADMIN_LISTEN="${ADMIN_LISTEN:-127.0.0.1:9188}"
HTTP="${HTTP:-127.0.0.1:8000}"

# The app socket is where `wsbridge publish` and `wsbridge status` look for a running demo when they
# are given no --app-socket (wsbridge(8), "Finding the daemon").
demodir="${XDG_RUNTIME_DIR:-/tmp}/wsbridge-demo-$(id -u)"
socket="$demodir/app.sock"

# A port in use is named with the variable that moves it, before anything is built or started.
in_use() {
    local host="${1%:*}" port="${1##*:}"
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}
for pair in "LISTEN=$LISTEN=the WebSocket listener" "ADMIN_LISTEN=$ADMIN_LISTEN=the admin listener, /metrics" \
    "HTTP=$HTTP=the demo app's web page"; do
    IFS="=" read -r name address what <<<"$pair"
    if in_use "$address"; then
        echo "demo: $address ($what) is in use; pick another port: $name=${address%:*}:$((${address##*:} + 1)) make run" >&2
        exit 1
    fi
done
if [ -S "$socket" ]; then
    echo "demo: another demo seems to run already (its app socket $socket exists); stop it first, or remove the file" >&2
    exit 1
fi

swift build --product wsbridge
bin="$(swift build --show-bin-path)/wsbridge"
mkdir -p -m 0700 "$demodir"
log="$demodir/wsbridge.log"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$socket" "$log"
    rmdir "$demodir" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin" serve --auth app --listen "$LISTEN" --admin-listen "$ADMIN_LISTEN" --app-socket "$socket" 2> >(tee "$log" >&2) &
pids+=($!)
for _ in $(seq 1 100); do
    [ -S "$socket" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.1
done
if [ ! -S "$socket" ]; then
    echo "demo: wsbridge did not start; its log is above" >&2
    exit 1
fi

python3 examples/python/demo_app.py --socket "$socket" --ws-url "ws://$LISTEN/ws" --http "$HTTP" &
pids+=($!)
cat <<EOF
demo: wsbridge on ws://$LISTEN/ws (metrics on http://$ADMIN_LISTEN/metrics), app socket $socket
demo: the demo app serves http://$HTTP/ — open a link it prints, as alice and as bob
demo: from another terminal, send bob a message:
          $bin publish --app-socket $socket --user bob hello
      and see what the daemon holds (without --app-socket, the demo's socket is found too):
          $bin status
demo: Ctrl-C stops both
EOF
wait -n "${pids[@]}"
