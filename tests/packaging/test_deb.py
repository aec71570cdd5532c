"""The Debian package: its fields and contents, lintian, and a real installation (dpkg -i), which is
purged at the end. Installing needs root; it is skipped where wsbridge is already installed, so that
a real installation is never replaced or purged by the tests."""
import gzip
import hashlib
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import time
import urllib.request

import pytest

from debtools import ROOT, debian_version, product_version, require_tool, run

UNITS = ["wsbridge.service", "wsbridge.socket", "wsbridge-app.socket"]
MAN = {"wsbridge.8": "man8", "wsbridge.conf.5": "man5", "wsbridge-protocol.7": "man7"}
EXPECTED_FILES = {
    "usr/bin/wsbridge",
    "lib/systemd/system/wsbridge.service",
    "lib/systemd/system/wsbridge.socket",
    "lib/systemd/system/wsbridge-app.socket",
    "usr/lib/sysusers.d/wsbridge.conf",
    "usr/lib/tmpfiles.d/wsbridge.conf",
    "etc/wsbridge/wsbridge.conf",
    "usr/share/man/man8/wsbridge.8.gz",
    "usr/share/man/man5/wsbridge.conf.5.gz",
    "usr/share/man/man7/wsbridge-protocol.7.gz",
    "usr/share/doc/wsbridge/copyright",
    "usr/share/doc/wsbridge/changelog.Debian.gz",
    "usr/share/doc/wsbridge/README.md",
    "usr/share/doc/wsbridge/docs/configuration.md",
    "usr/share/doc/wsbridge/docs/protocol.md",
    "usr/share/doc/wsbridge/examples/wsbridge.conf",
    "usr/share/lintian/overrides/wsbridge",
}
ALLOWED_PREFIXES = ("etc/wsbridge/", "lib/systemd/system/wsbridge", "usr/bin/wsbridge", "usr/lib/sysusers.d/",
                    "usr/lib/tmpfiles.d/", "usr/share/man/man", "usr/share/doc/wsbridge/",
                    "usr/share/lintian/overrides/wsbridge")
# Libraries the binary may load: Debian's C/C++ runtime, hiredis, libsystemd, zlib. Nothing of Swift.
ALLOWED_LIBRARIES = re.compile(r"^(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|libhiredis|libsystemd|libz|"
                               r"ld-linux[-\w]*)\.so")


def contents(deb):
    """{path: (mode string, owner/group, size)} from dpkg-deb -c (regular files and links only)."""
    entries = {}
    for line in run("dpkg-deb", "-c", deb).stdout.splitlines():
        fields = line.split(None, 5)
        path = fields[5].split(" -> ")[0]
        if not fields[0].startswith("d"):
            entries[path[2:]] = (fields[0], fields[1], int(fields[2]))
    return entries


@pytest.fixture(scope="module")
def extracted(deb, tmp_path_factory):
    root = tmp_path_factory.mktemp("deb")
    run("dpkg-deb", "-R", deb, str(root))
    return root


def test_file_name_and_control_fields(deb):
    arch = run("dpkg", "--print-architecture").stdout.strip()
    assert os.path.basename(deb) == f"wsbridge_{debian_version()}_{arch}.deb"
    assert debian_version().startswith(product_version() + "-")
    fields = {f: run("dpkg-deb", "-f", deb, f).stdout.strip() for f in
              ("Package", "Version", "Architecture", "Maintainer", "Section", "Priority", "Installed-Size",
               "Description")}
    assert fields["Package"] == "wsbridge"
    assert fields["Version"] == debian_version()
    assert fields["Architecture"] == arch
    assert fields["Section"] == "net" and fields["Priority"] == "optional"
    assert int(fields["Installed-Size"]) > 1000
    assert re.match(r".+ <[^@\s]+@[^@\s]+>$", fields["Maintainer"])


def test_depends_on_debian_libraries_only(deb):
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout.strip()
    names = [alt.split()[0] for dep in depends.split(",") for alt in dep.split("|")]
    assert "libc6" in names
    assert any(n.startswith("libhiredis") for n in names), depends
    assert "zlib1g" in names, depends  # permessage-deflate
    assert "adduser" in names  # postinst falls back to adduser where systemd-sysusers is missing
    assert not any(re.search(r"swift|foundation|dispatch|icu|blocksruntime", n, re.I) for n in names), depends


def test_contents(deb):
    entries = contents(deb)
    assert EXPECTED_FILES <= set(entries), EXPECTED_FILES - set(entries)
    stray = [p for p in entries if not p.startswith(ALLOWED_PREFIXES)]
    assert not stray, stray
    for path, (mode, owner, _) in entries.items():
        assert owner == "root/root", (path, owner)
        expected = "-rwxr-xr-x" if path == "usr/bin/wsbridge" else "-rw-r--r--"
        assert mode == expected, (path, mode)


def test_control_files(extracted):
    debian = extracted / "DEBIAN"
    assert (debian / "conffiles").read_text() == "/etc/wsbridge/wsbridge.conf\n"
    for script in ("postinst", "prerm", "postrm"):
        path = debian / script
        assert path.stat().st_mode & stat.S_IXUSR
        assert path.read_text().startswith("#!/bin/sh\n")
        run("sh", "-n", str(path))
    postinst = (debian / "postinst").read_text()
    for word in ("systemd-sysusers", "adduser --system --group --no-create-home --home /nonexistent",
                 "systemd-tmpfiles", "deb-systemd-helper", "deb-systemd-invoke", "[ -d /run/systemd/system ]"):
        assert word in postinst, word
    assert "purge" in (debian / "postrm").read_text()
    # md5sums covers every file but the conffile, and matches.
    listed = {}
    for line in (debian / "md5sums").read_text().splitlines():
        digest, path = line.split(None, 1)
        listed[path] = digest
    files = {str(p.relative_to(extracted)) for p in extracted.rglob("*")
             if p.is_file() and not str(p.relative_to(extracted)).startswith(("DEBIAN/", "etc/"))}
    assert set(listed) == files
    for path, digest in listed.items():
        assert hashlib.md5((extracted / path).read_bytes()).hexdigest() == digest, path


def test_binary_is_stripped_and_links_no_swift_runtime(extracted):
    binary = str(extracted / "usr/bin/wsbridge")
    assert "not stripped" not in run("file", "-L", binary).stdout
    needed = re.findall(r"\(NEEDED\).*\[(.+)\]", run("readelf", "-d", binary).stdout)
    assert needed and all(ALLOWED_LIBRARIES.match(lib) for lib in needed), needed
    assert any(lib.startswith("libhiredis") for lib in needed)
    ldd = run("ldd", binary).stdout
    assert not re.search(r"swift|Foundation|dispatch|BlocksRuntime|icu", ldd), ldd
    assert re.search(r"BIND_NOW", run("readelf", "-d", binary).stdout)
    assert run(binary, "--version").stdout.strip() == f"wsbridge {product_version()}"


# Entries of ICU's data table of contents ("icudt76l/coll/root.res"): in a binary only when ICU's
# data is linked in, which all of Foundation (FoundationInternationalization) brings and
# FoundationEssentials does not (docs/benchmarks.md, "A lean binary").
ICU_DATA_ENTRY = re.compile(rb"icudt\d+[lb]/[\w/.-]+\.(?:res|icu|nrm|cfu|brk|dict|spp|cnv)")
# Libraries of all of Foundation, dynamic (a debug build) or named in its static parts' strings.
FULL_FOUNDATION = re.compile(r"libicu|_FoundationICU|libFoundation\.so|FoundationInternationalization|"
                             r"libFoundationNetworking|libFoundationXML")


def test_binary_links_no_icu_and_holds_no_icu_data(extracted, wsbridge_bin):
    """The daemon uses FoundationEssentials at most: all of Foundation would link ICU and its ~33 MB
    of data, which more than doubles the package."""
    for binary in (str(extracted / "usr/bin/wsbridge"), wsbridge_bin):
        dynamic = run("readelf", "-d", binary).stdout + run("ldd", binary).stdout
        assert not FULL_FOUNDATION.search(dynamic), (binary, FULL_FOUNDATION.search(dynamic).group(0))
        with open(binary, "rb") as f:
            content = f.read()
        found = ICU_DATA_ENTRY.search(content)
        assert found is None, (binary, found.group(0))
        assert b"FoundationInternationalization" not in content, binary


def test_man_pages_match_the_sources_and_are_gzipped_reproducibly(extracted, man_pages):
    for page, directory in MAN.items():
        data = (extracted / "usr/share/man" / directory / f"{page}.gz").read_bytes()
        flags, mtime = data[3], int.from_bytes(data[4:8], "little")
        assert flags & 0x08 == 0 and mtime == 0, f"{page}: not gzip -n"
        assert gzip.decompress(data).decode() == open(man_pages[page], encoding="utf-8").read()


def test_documentation(extracted):
    doc = extracted / "usr/share/doc/wsbridge"
    copyright_ = (doc / "copyright").read_text()
    assert copyright_.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
    assert "Copyright: 2026 The wsbridge authors\nLicense: MIT" in copyright_
    assert "Copyright 2026 The wsbridge authors" in open(os.path.join(ROOT, "LICENSE")).read()
    changelog = gzip.decompress((doc / "changelog.Debian.gz").read_bytes()).decode()
    assert changelog.startswith(f"wsbridge ({debian_version()}) ")
    assert (doc / "README.md").read_text() == open(os.path.join(ROOT, "README.md")).read()


def test_lintian_reports_no_errors_or_warnings(deb):
    require_tool("lintian")
    result = run("lintian", "--info", deb, check=False)
    findings = [line for line in result.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert not findings, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_lintian_override_is_justified():
    with open(os.path.join(ROOT, "packaging", "lintian-overrides"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert i > 0 and lines[i - 1].startswith("#"), f"override without a comment above it: {line}"


# --- installed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed(deb):
    if os.geteuid() != 0:
        pytest.skip("installing the package needs root")
    if run("dpkg-query", "-W", "-f=${db:Status-Status}", "wsbridge", check=False).stdout not in ("", "not-installed"):
        pytest.skip("wsbridge is already installed on this machine: not replacing it")
    try:
        run("dpkg", "--path-include=/usr/share/man/*", "-i", deb)
        yield deb
    finally:
        run("dpkg", "--purge", "wsbridge", check=False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestInstalled:
    """In order: the installed package works, survives a reinstall, and is removed, then purged."""

    def test_binary_and_version(self, installed):
        assert run("/usr/bin/wsbridge", "--version").stdout.strip() == f"wsbridge {product_version()}"

    def test_man_finds_every_page(self, installed):
        env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80")
        assert run("man", "-w", "wsbridge").stdout.strip() == "/usr/share/man/man8/wsbridge.8.gz"
        assert run("man", "-w", "5", "wsbridge.conf").stdout.strip() == "/usr/share/man/man5/wsbridge.conf.5.gz"
        assert run("man", "-w", "7", "wsbridge-protocol").stdout.strip() == \
            "/usr/share/man/man7/wsbridge-protocol.7.gz"
        assert "SIGHUP" in run("man", "8", "wsbridge", env=env).stdout

    def test_installed_config_passes_check_config(self, installed):
        result = run("/usr/bin/wsbridge", "check-config", "--config", "/etc/wsbridge/wsbridge.conf")
        assert "OK" in result.stdout
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "wsbridge").stdout
        assert "/etc/wsbridge/wsbridge.conf" in conffiles

    def test_user_group_and_runtime_directory(self, installed):
        user = run("getent", "passwd", "wsbridge").stdout.strip().split(":")
        assert user[5] == "/nonexistent" and int(user[2]) < 1000
        assert run("getent", "group", "wsbridge").stdout.split(":")[2] == user[3]
        st = os.stat("/run/wsbridge")
        assert stat.S_IMODE(st.st_mode) == 0o750 and st.st_uid == int(user[2]) and st.st_gid == int(user[3])

    def test_units_are_enabled_and_verify(self, installed):
        assert os.path.islink("/etc/systemd/system/sockets.target.wants/wsbridge.socket")
        assert os.path.islink("/etc/systemd/system/sockets.target.wants/wsbridge-app.socket")
        assert os.path.islink("/etc/systemd/system/multi-user.target.wants/wsbridge.service")
        require_tool("systemd-analyze")
        # As installed, with the Documentation= man pages checked too (they are installed now).
        result = run("systemd-analyze", "verify", *[f"/lib/systemd/system/{u}" for u in UNITS], check=False)
        assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr

    def test_daemon_runs_as_wsbridge_under_socket_activation(self, installed):
        """The installed (static) binary, as the user wsbridge with the packaged config, takes the two
        sockets by the names the socket units give them, tells NOTIFY_SOCKET it is ready, answers
        /healthz on the activated listener, and drains and exits 0 on SIGTERM. systemd is not PID 1
        here: systemd-socket-activate passes the sockets, as the units would (loopback only: the
        guard --listen 127.0.0.1:1 cannot be bound by wsbridge, so only the passed socket can serve; the
        admin listener, which the daemon always binds itself, takes a free loopback port)."""
        require_tool("systemd-socket-activate")
        port = free_port()
        app_socket, notify_path = "/run/wsbridge/test-app.sock", "/run/wsbridge/test-notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(0.2)
        os.chown(notify_path, pwd.getpwnam("wsbridge").pw_uid, -1)
        messages = []

        def saw(needle):
            while True:
                try:
                    messages.append(notify.recv(4096).decode())
                except (socket.timeout, BlockingIOError):
                    return any(needle in m for m in messages)

        # setpriv execs (no fork), so LISTEN_PID stays the daemon's process id.
        process = subprocess.Popen(
            ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-l", app_socket, "--fdname=ws:app",
             "-E", f"NOTIFY_SOCKET={notify_path}",
             "setpriv", "--reuid=wsbridge", "--regid=wsbridge", "--init-groups", "--",
             "/usr/bin/wsbridge", "serve", "--config", "/etc/wsbridge/wsbridge.conf", "--listen", "127.0.0.1:1",
             "--admin-listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline, status = time.monotonic() + 20, None
            while time.monotonic() < deadline and process.poll() is None and status is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                        status = response.status
                except OSError:
                    time.sleep(0.2)
            assert status == 200, "no answer on /healthz" if process.poll() is None else process.stdout.read()
            deadline = time.monotonic() + 10
            while not saw("READY=1") and time.monotonic() < deadline:
                pass
            assert saw("READY=1"), messages
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=30)
            assert process.returncode == 0, output
            assert saw("STOPPING=1"), messages
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
            notify.close()
            for path in (notify_path, app_socket):
                if os.path.exists(path):
                    os.unlink(path)

    def test_reinstall_runs_the_upgrade_path(self, installed):
        with open("/etc/wsbridge/wsbridge.conf", "a", encoding="utf-8") as f:
            f.write("# a local change\n")
        run("dpkg", "--force-confold", "--path-include=/usr/share/man/*", "-i", installed)
        with open("/etc/wsbridge/wsbridge.conf", encoding="utf-8") as f:
            assert f.read().endswith("# a local change\n")  # conffile kept
        assert run("dpkg-query", "-W", "-f=${db:Status-Status}", "wsbridge").stdout == "installed"

    def test_remove_keeps_the_config_and_purge_removes_everything(self, installed):
        run("dpkg", "-r", "wsbridge")
        assert not os.path.exists("/usr/bin/wsbridge")
        assert os.path.exists("/etc/wsbridge/wsbridge.conf")
        assert run("dpkg-query", "-W", "-f=${db:Status-Status}", "wsbridge").stdout == "config-files"
        run("dpkg", "--purge", "wsbridge")
        for path in ("/etc/wsbridge", "/run/wsbridge", "/etc/systemd/system/sockets.target.wants/wsbridge.socket",
                     "/etc/systemd/system/multi-user.target.wants/wsbridge.service", "/lib/systemd/system/wsbridge.service"):
            assert not os.path.lexists(path), path
        assert run("dpkg-query", "-W", "-f=${db:Status-Status}", "wsbridge", check=False).stdout in ("", "not-installed")
