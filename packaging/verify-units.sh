#!/usr/bin/env bash
# Runs "systemd-analyze verify" on the units in packaging/ without installing them.
#
# verify insists that every Exec*= program exists, so the units are checked as copies in a
# temporary directory where /usr/bin/wsbridge is replaced by WSBRIDGE (default: the installed
# /usr/bin/wsbridge, else the release or debug build). Everything else is checked as shipped,
# including the links between the three units (the copies sit side by side, as installed).
# To verify the installed units instead: systemd-analyze verify /lib/systemd/system/wsbridge*.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

bin="${WSBRIDGE:-}"
if [ -z "$bin" ]; then
    for candidate in /usr/bin/wsbridge "$root"/.build/release/wsbridge "$root"/.build/debug/wsbridge; do
        if [ -x "$candidate" ]; then bin="$candidate"; break; fi
    done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "verify-units: no wsbridge binary: build first or set WSBRIDGE" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/wsbridge-units.XXXXXX")"
trap 'rm -rf "$work"' EXIT
for unit in wsbridge.service wsbridge.socket wsbridge-app.socket; do
    sed "s|/usr/bin/wsbridge|$bin|g" "$root/packaging/$unit" > "$work/$unit"
done
cd "$work"
# --man=no: the Documentation= pages are installed by the package, not necessarily here.
out="$(systemd-analyze verify --man=no wsbridge.service wsbridge.socket wsbridge-app.socket 2>&1)" || {
    echo "$out" >&2
    exit 1
}
# verify prints problems it does not count as failures (unknown keys, bad values) too.
if [ -n "$out" ]; then
    echo "$out" >&2
    exit 1
fi
echo "verify-units: wsbridge.service wsbridge.socket wsbridge-app.socket: OK"
