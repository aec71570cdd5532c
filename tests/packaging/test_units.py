"""The systemd units, sysusers.d and tmpfiles.d files in packaging/, checked by systemd's own tools
without installing anything."""
import os
import shutil

import pytest

from debtools import ROOT, require_tool, run

PACKAGING = os.path.join(ROOT, "packaging")


def unit(name):
    """{section: {key: [values]}} of a unit file (keys may repeat)."""
    sections, current = {}, None
    with open(os.path.join(PACKAGING, name), encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key, []).append(value)
    return sections


def test_systemd_analyze_verify_passes(wsbridge_bin):
    require_tool("systemd-analyze")
    result = run(os.path.join(PACKAGING, "verify-units.sh"), env=dict(os.environ, WSBRIDGE=wsbridge_bin))
    assert "OK" in result.stdout


def test_verify_units_catches_a_broken_unit(tmp_path, wsbridge_bin):
    """The verification is not vacuous: a bad value in a copy of the units makes it fail."""
    require_tool("systemd-analyze")
    copy = tmp_path / "tree"
    shutil.copytree(PACKAGING, copy / "packaging")
    service = copy / "packaging" / "wsbridge.service"
    service.write_text(service.read_text().replace("WatchdogSec=30s", "WatchdogSec=soon"))
    result = run(str(copy / "packaging" / "verify-units.sh"), env=dict(os.environ, WSBRIDGE=wsbridge_bin),
                 check=False)
    assert result.returncode != 0 and "soon" in result.stderr, result.stdout + result.stderr


def test_service_unit():
    s = unit("wsbridge.service")
    u, svc, inst = s["Unit"], s["Service"], s["Install"]
    assert u["Documentation"] == ["man:wsbridge(8) man:wsbridge.conf(5) man:wsbridge-protocol(7)"]
    for dep in ("Requires", "After"):
        assert {"wsbridge.socket", "wsbridge-app.socket"} <= set(" ".join(u[dep]).split())
    expected = {
        "Type": ["notify"],
        "ExecStartPre": ["/usr/bin/wsbridge check-config --config /etc/wsbridge/wsbridge.conf"],
        "ExecStart": ["/usr/bin/wsbridge serve --config /etc/wsbridge/wsbridge.conf"],
        "User": ["wsbridge"],
        "Group": ["wsbridge"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
        "LimitNOFILE": ["1048576"],
        "WatchdogSec": ["30s"],
        "TimeoutStopSec": ["30s"],
        "Restart": ["on-failure"],
    }
    for key, value in expected.items():
        assert svc.get(key) == value, key
    # The reload checks the file first, then signals; a broken file fails "systemctl reload".
    assert svc["ExecReload"] == ["/usr/bin/wsbridge check-config --config /etc/wsbridge/wsbridge.conf",
                                 "/bin/kill -HUP $MAINPID"]
    assert set(svc["Sockets"][0].split()) == {"wsbridge.socket", "wsbridge-app.socket"}
    assert inst["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("name,listen,fdname", [
    ("wsbridge.socket", "8080", "ws"),
    ("wsbridge-app.socket", "/run/wsbridge/app.sock", "app"),
])
def test_socket_units(name, listen, fdname):
    s = unit(name)
    sock = s["Socket"]
    assert sock["ListenStream"] == [listen]
    assert sock["FileDescriptorName"] == [fdname]
    assert sock["Service"] == ["wsbridge.service"]
    assert s["Install"]["WantedBy"] == ["sockets.target"]
    if fdname == "ws":
        assert sock["NoDelay"] == ["yes"], "accepted connections inherit TCP_NODELAY from the listener"
    if fdname == "app":
        assert sock["SocketMode"] == ["0660"]
        assert sock["SocketUser"] == ["wsbridge"] and sock["SocketGroup"] == ["wsbridge"]
        assert sock["RemoveOnStop"] == ["yes"]


def test_sysusers_creates_the_user_and_group(tmp_path):
    require_tool("systemd-sysusers")
    (tmp_path / "etc").mkdir()
    run("systemd-sysusers", f"--root={tmp_path}", os.path.join(PACKAGING, "sysusers.d", "wsbridge.conf"))
    passwd = (tmp_path / "etc" / "passwd").read_text().splitlines()
    group = (tmp_path / "etc" / "group").read_text().splitlines()
    user = [line.split(":") for line in passwd if line.startswith("wsbridge:")]
    assert len(user) == 1
    assert user[0][5] == "/nonexistent" and user[0][6] == "/usr/sbin/nologin"
    assert int(user[0][2]) < 1000  # a system user
    gid = [line.split(":")[2] for line in group if line.startswith("wsbridge:")]
    assert gid == [user[0][3]]


def test_tmpfiles_creates_the_runtime_directory(tmp_path):
    require_tool("systemd-tmpfiles")
    (tmp_path / "etc").mkdir()
    run("systemd-sysusers", f"--root={tmp_path}", os.path.join(PACKAGING, "sysusers.d", "wsbridge.conf"))
    run("systemd-tmpfiles", f"--root={tmp_path}", "--create", os.path.join(PACKAGING, "tmpfiles.d", "wsbridge.conf"))
    path = tmp_path / "run" / "wsbridge"
    assert path.is_dir()
    assert oct(path.stat().st_mode & 0o7777) == "0o750"


def test_packaged_config_is_the_example_with_two_keys_set(tmp_path, wsbridge_bin):
    with open(os.path.join(ROOT, "examples", "wsbridge.conf"), encoding="utf-8") as f:
        example = f.read().splitlines()
    packaged = run("sed", "-f", "packaging/conffile.sed", "examples/wsbridge.conf").stdout.splitlines()
    set_lines = [line for line in packaged if line and not line.startswith("#")]
    assert set_lines == ["listen = 0.0.0.0:8080", "app_socket = /run/wsbridge/app.sock"]
    # Everything else is the example, untouched (the header gains a note).
    assert [line for line in packaged if line.startswith("#") and line in example] == \
        [line for line in example if line.startswith("#") and not line.startswith(("#listen =", "#app_socket =",
                                                                                     "# Every line below"))]
    conf = tmp_path / "wsbridge.conf"
    conf.write_text("\n".join(packaged) + "\n")
    run(wsbridge_bin, "check-config", "--config", str(conf))


def test_build_refuses_a_version_without_a_changelog_entry(tmp_path):
    """The package version follows WSBridgeVersion.swift; a new version without a changelog entry
    stops make deb at once, with what to do."""
    (tmp_path / "packaging").mkdir()
    shutil.copy(os.path.join(PACKAGING, "build-deb.sh"), tmp_path / "packaging")
    shutil.copy(os.path.join(PACKAGING, "changelog"), tmp_path / "packaging")
    version_file = tmp_path / "Sources" / "WSBridgeCore" / "WSBridgeVersion.swift"
    version_file.parent.mkdir(parents=True)
    version_file.write_text('public enum WSBridgeVersion {\n    public static let string = "99.0.0"\n}\n')
    result = run(str(tmp_path / "packaging" / "build-deb.sh"), check=False, cwd=str(tmp_path),
                 env=dict(os.environ, SWIFT="false"))
    assert result.returncode != 0
    assert "add an entry" in result.stderr and "99.0.0-1" in result.stderr, result.stderr
