#!/usr/bin/env bash
# Installs what building wsbridge and running its whole test suite need on Debian 12 (bookworm).
# The Swift 6 toolchain itself is expected on PATH (swift.org's Linux toolchain; /opt/swift/usr/bin is
# picked up if present). Safe to run again.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(
    libhiredis-dev      # the RESP codec (CHiredis)
    libsystemd-dev      # sd_notify / socket activation (CSystemd)
    zlib1g-dev          # permessage-deflate (CZlib)
    redis-server        # the integration tests start their own redis-server on free ports
    redis-tools         # redis-cli, used by the tests to PUBLISH and CLIENT KILL
    systemd             # systemd-socket-activate, systemd-analyze (tests; systemd need not be PID 1)
    python3 python3-pip # the integration tests' clients
    nodejs              # examples/node, run by tests/integration/test_examples.py (Node 18+)
    chromium chromium-driver # headless browser for the examples/browser page test
    pkg-config
    gcc make            # bench/floor, the minimal C server the load tool is compared with
    # make deb and tests/packaging: build, lint, install and check the Debian package and man pages
    dpkg-dev binutils file # dpkg-shlibdeps, dpkg-gencontrol, dpkg-deb; strip, readelf
    lintian                # no errors or warnings on the .deb
    mandoc man-db groff-base # mandoc -T lint, man -l / man -w, groff -ww
    adduser                # the postinst fallback where systemd-sysusers is missing
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

here="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m pip install -q --disable-pip-version-check -r "$here/tests/requirements.txt" 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages -r "$here/tests/requirements.txt"

if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "setup-debian: no Swift toolchain found: install Swift 6 from swift.org and put it on PATH" >&2
    exit 1
fi
echo "setup-debian: ready"
