#!/usr/bin/env bash
# Builds the Debian package dist/wsbridge_<version>-<revision>_<arch>.deb ("make deb").
#
# - <version> is the product version (Sources/WSBridgeCore/WSBridgeVersion.swift); the newest entry
#   of packaging/changelog must be <version>-<revision>, or the build stops and says so.
# - The binary is a release build with the Swift runtime (and FoundationEssentials, not all of
#   Foundation: no ICU) linked statically, so the package depends only on Debian libraries
#   (dpkg-shlibdeps computes Depends).
# - The man pages come from man/render.py, the conffile from examples/wsbridge.conf and
#   packaging/conffile.sed, so neither can drift from the code.
#
# Environment: SWIFT (default swift), DEB_MAINTAINER (overrides the Maintainer field),
# WSBRIDGE_SKIP_SWIFT_BUILD=1 (package the release binary already built, for quick iterations).
# Needs: dpkg-dev, binutils, python3, gzip (scripts/setup-debian.sh installs them).
set -euo pipefail
umask 022
export LC_ALL=C.UTF-8
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$PATH:/opt/swift/usr/bin"
SWIFT="${SWIFT:-swift}"

say() { echo "build-deb: $*" >&2; }
die() { say "error: $*"; exit 1; }

version="$(sed -n 's/.*static let string = "\([^"]*\)".*/\1/p' Sources/WSBridgeCore/WSBridgeVersion.swift)"
[ -n "$version" ] || die "no version in Sources/WSBridgeCore/WSBridgeVersion.swift"
debversion="$(dpkg-parsechangelog -l packaging/changelog -S Version)"
[ "${debversion%-*}" = "$version" ] || die "packaging/changelog is at $debversion but the product is $version:" \
    "add an entry \"wsbridge ($version-1) unstable; urgency=medium\" at the top (dch -c packaging/changelog -v $version-1)"
arch="$(dpkg --print-architecture)"
SOURCE_DATE_EPOCH="$(dpkg-parsechangelog -l packaging/changelog -S Timestamp)"
export SOURCE_DATE_EPOCH
deb="dist/wsbridge_${debversion}_${arch}.deb"

# 1. The binary: release, Swift runtime static; RELRO and BIND_NOW like every Debian binary
#    (lintian's hardening checks). --no-export-dynamic undoes the -export-dynamic of the toolchain's
#    static-stdlib-args.lnk, which puts every Swift symbol of the package in the dynamic symbol table
#    (2.5 MB of names, 0.6 MB of the .deb): nothing looks them up (no dlsym of our own symbols), and
#    without swift-backtrace, which no host running the package has, a crash prints no stack either
#    way. docs/benchmarks.md, "A lean binary".
build_flags=(-c release --static-swift-stdlib --product wsbridge
    -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now -Xlinker --no-export-dynamic)
if [ "${WSBRIDGE_SKIP_SWIFT_BUILD:-0}" != 1 ]; then
    say "swift build ${build_flags[*]}"
    "$SWIFT" build "${build_flags[@]}"
fi
bin="$("$SWIFT" build "${build_flags[@]}" --show-bin-path)/wsbridge"
[ -x "$bin" ] || die "no binary at $bin"

# 2. The package tree, laid out as debhelper would: work/debian/{control,changelog,wsbridge/}.
work="$(mktemp -d "${TMPDIR:-/tmp}/wsbridge-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
cp packaging/control "$work/debian/control"
cp packaging/changelog "$work/debian/changelog"
pkg="$work/debian/wsbridge"

install -D -m 0755 "$bin" "$pkg/usr/bin/wsbridge"
strip --remove-section=.comment --remove-section=.note "$pkg/usr/bin/wsbridge"

install -D -m 0644 -t "$pkg/lib/systemd/system" \
    packaging/wsbridge.service packaging/wsbridge.socket packaging/wsbridge-app.socket
install -D -m 0644 packaging/sysusers.d/wsbridge.conf "$pkg/usr/lib/sysusers.d/wsbridge.conf"
install -D -m 0644 packaging/tmpfiles.d/wsbridge.conf "$pkg/usr/lib/tmpfiles.d/wsbridge.conf"

# The conffile: examples/wsbridge.conf with listen and app_socket set. It must pass check-config.
conf="$pkg/etc/wsbridge/wsbridge.conf"
install -d -m 0755 "$pkg/etc/wsbridge"
sed -f packaging/conffile.sed examples/wsbridge.conf > "$conf"
chmod 0644 "$conf"
for line in "listen = 0.0.0.0:8080" "app_socket = /run/wsbridge/app.sock"; do
    [ "$(grep -cxF "$line" "$conf")" = 1 ] || die "examples/wsbridge.conf changed: could not set \"$line\""
done
"$pkg/usr/bin/wsbridge" check-config --config "$conf" >/dev/null || die "the packaged config does not pass check-config"

# Man pages, gzipped without names or timestamps.
python3 man/render.py "$work/man"
for page in "$work"/man/*.[0-9]; do
    section="${page##*.}"
    install -d -m 0755 "$pkg/usr/share/man/man$section"
    gzip -9n -c "$page" > "$pkg/usr/share/man/man$section/$(basename "$page").gz"
done

# Documentation.
doc="$pkg/usr/share/doc/wsbridge"
install -D -m 0644 packaging/copyright "$doc/copyright"
gzip -9n -c packaging/changelog > "$doc/changelog.Debian.gz"
install -m 0644 README.md "$doc/README.md"
cp -R docs "$doc/docs"
cp -R examples "$doc/examples"
if [ -s packaging/lintian-overrides ]; then
    install -D -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/wsbridge"
fi
find "$doc" -type d -exec chmod 0755 {} +
find "$doc" -type f -exec chmod 0644 {} +

# 3. Control files: maintainer scripts, conffiles, md5sums, and control from dpkg-gencontrol
#    with the Depends dpkg-shlibdeps found.
install -d -m 0755 "$pkg/DEBIAN"
install -m 0755 -t "$pkg/DEBIAN" packaging/maintscripts/postinst packaging/maintscripts/prerm \
    packaging/maintscripts/postrm
echo /etc/wsbridge/wsbridge.conf > "$pkg/DEBIAN/conffiles"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
    | LC_ALL=C sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
(
    cd "$work"
    dpkg-shlibdeps -Tdebian/wsbridge.substvars debian/wsbridge/usr/bin/wsbridge
    gencontrol=(-pwsbridge -ldebian/changelog -cdebian/control -Tdebian/wsbridge.substvars
        -Pdebian/wsbridge -fdebian/files)
    if [ -n "${DEB_MAINTAINER:-}" ]; then gencontrol+=("-DMaintainer=$DEB_MAINTAINER"); fi
    dpkg-gencontrol "${gencontrol[@]}"
)
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"

# 4. The archive: owned by root, every mtime clamped to the changelog date (reproducible).
find "$pkg" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
mkdir -p dist
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
say "built $deb ($(du -h "$deb" | cut -f1))"
say "$(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"
echo "$deb"
