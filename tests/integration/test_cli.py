"""The command line: --version, check-config with line-precise errors, bad flags, SIGTERM."""

import os
import signal
import subprocess

from websockets.sync.client import connect

from harness import ROOT, wsbridge_binary


def run(*args):
    return subprocess.run([wsbridge_binary(), *args], capture_output=True, text=True, timeout=30)


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("wsbridge ")


def test_check_config_reports_every_error_with_its_line(workdir):
    path = os.path.join(workdir, "bad.conf")
    with open(path, "w") as f:
        f.write("# a comment\nlisten = 127.0.0.1:8080\nlisen = 1\nmax_queue_bytes = lots\n")
    result = run("check-config", "--config", path)
    assert result.returncode == 1
    assert f"{path}:3:" in result.stderr and "listen" in result.stderr, result.stderr
    assert f"{path}:4:" in result.stderr and "max_queue_bytes" in result.stderr, result.stderr


def test_check_config_accepts_the_shipped_example():
    result = run("check-config", "--config", os.path.join(ROOT, "examples", "wsbridge.conf"))
    assert result.returncode == 0, result.stderr


def test_a_missing_config_file_and_a_bad_flag_are_clear_errors(workdir):
    result = run("serve", "--config", os.path.join(workdir, "nope.conf"))
    assert result.returncode == 1, "a configuration error"
    assert "nope.conf" in result.stderr
    result = run("serve", "--listen", "not-an-address")
    assert result.returncode == 64, "a usage error"
    assert "--listen" in result.stderr
    assert "Usage: wsbridge serve " in result.stderr, "the subcommand's usage, not the root's"
    bad_file = os.path.join(workdir, "bad.conf")
    with open(bad_file, "w") as f:
        f.write("max_queue_bytes = lots\n")
    result = run("serve", "--config", bad_file)
    assert result.returncode == 1, "a bad file is a configuration error, not a usage error"
    assert result.stderr.strip().endswith(f'{bad_file}:1: max_queue_bytes: expected a size such as 1MiB, got "lots"')


def test_sigterm_closes_clients_with_1001_and_exits_0(nodes):
    node = nodes("host1", "--auth", "insecure-query")
    with connect(node.url(user="a")) as ws:
        node.process.send_signal(signal.SIGTERM)
        try:
            ws.recv(timeout=10)
        except Exception:
            pass
        assert ws.close_code == 1001
    assert node.process.wait(timeout=15) == 0


def test_every_config_key_is_also_a_serve_flag():
    import re
    with open(os.path.join(ROOT, "examples", "wsbridge.conf")) as f:
        keys = re.findall(r"^#\s*([a-z_]+)\s*=", f.read(), re.M)
    assert len(keys) >= 20, keys
    help_text = run("serve", "--help").stdout
    missing = [k for k in keys if "--" + k.replace("_", "-") not in help_text]
    assert not missing, f"config keys without a serve flag: {missing}"


def test_publish_and_status_go_through_the_daemons_app_socket(nodes, workdir):
    import json
    node = nodes("host1", "--auth", "insecure-query")
    socket_path = os.path.join(workdir, "host1.sock")
    with connect(node.url(user="ann")) as ann:
        result = run("publish", "--app-socket", socket_path, "--user", "ann", "via the daemon")
        assert result.returncode == 0, result.stderr
        assert ann.recv(timeout=5) == "via the daemon"
        result = run("publish", "--app-socket", socket_path, "--all", "--json", '{"x":1}')
        assert result.returncode == 0, result.stderr
        assert ann.recv(timeout=5) == '{"x":1}'

        status = json.loads(run("status", "--app-socket", socket_path, "--json").stdout)
        assert status["node"] == "host1"
        assert status["connections"]["websocket"] == 1
        assert status["broker"] == {"kind": "embedded", "target": "embedded", "linked": True, "reconnects": 0,
                                    "durable": True, "probe_misses": 0}
        text = run("status", "--app-socket", socket_path).stdout
        assert "node        host1" in text and "1 WebSocket" in text, text


def test_tools_report_a_missing_daemon_clearly(workdir):
    result = run("status", "--app-socket", os.path.join(workdir, "none.sock"))
    assert result.returncode == 1
    assert "cannot connect to the wsbridge app socket" in result.stderr


def test_serve_raises_its_descriptor_soft_limit_to_the_hard_limit(workdir):
    import json
    import resource
    import subprocess
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 1024:
        import pytest
        pytest.skip("needs a finite hard limit above 1024")
    log_path = os.path.join(workdir, "fd.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [wsbridge_binary(), "serve", "--auth", "insecure-query", "--listen", "127.0.0.1:0",
             "--admin-listen", "off", "--log-format", "json", "--app-socket", os.path.join(workdir, "fd.sock")],
            stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard)))
    try:
        from harness import wait_for

        def entry():
            for line in open(log_path):
                if '"file descriptor limit"' in line:
                    return json.loads(line)
            return None
        logged = wait_for(entry, what="the descriptor limit log line")
        assert logged["wsb.soft_before"] == "1024"
        assert logged["wsb.soft"] == str(hard) == logged["wsb.hard"]
        with open(f"/proc/{process.pid}/limits") as limits:
            line = next(l for l in limits if l.startswith("Max open files"))
        assert line.split()[3] == str(hard)
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_event_loops_default_to_the_cpus_the_process_may_use(workdir):
    import json
    import shutil
    import subprocess
    import pytest
    from harness import wait_for
    if shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs taskset and at least two CPUs")
    log_path = os.path.join(workdir, "cpus.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["taskset", "-c", "0", wsbridge_binary(), "serve", "--auth", "insecure-query", "--listen", "127.0.0.1:0",
             "--admin-listen", "off", "--log-format", "json", "--app-socket", os.path.join(workdir, "cpus.sock")],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        def listening():
            for line in open(log_path):
                entry = json.loads(line) if line.startswith("{") else {}
                if entry.get("msg") == "listening" and entry.get("wsb.listener") == "websocket":
                    return entry
            return None
        assert wait_for(listening, what="the listening line")["wsb.event_loops"] == 1, "a number in JSON logs"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_publish_to_redis_fails_at_once_naming_the_cause(workdir):
    import time
    from harness import RedisServer, free_port
    port = free_port()  # nothing listens there
    started = time.monotonic()
    result = run("publish", "--redis", f"redis://127.0.0.1:{port}", "--timeout", "20", "--all", "x")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"wsbridge publish: could not publish to redis://127.0.0.1:{port}/0: "
                                     f"connection refused (nothing listens) at 127.0.0.1:{port}")
    assert time.monotonic() - started < 5, "at once, not after --timeout"

    redis = RedisServer(workdir, password="right-password")
    redis.start()
    try:
        wrong = run("publish", "--redis", f"redis://:wrong@127.0.0.1:{redis.port}", "--timeout", "20", "--all", "x")
        assert wrong.returncode == 1
        assert "Redis refused the password (WRONGPASS): check the user and password in the redis URL" in wrong.stderr
        assert "wrong" not in wrong.stderr.replace("(WRONGPASS)", ""), "the password is never shown"
        missing = run("publish", "--redis", f"redis://127.0.0.1:{redis.port}", "--timeout", "20", "--all", "x")
        assert "Redis requires a password and none is configured (NOAUTH)" in missing.stderr
        assert "SingleConnectionFailure" not in wrong.stderr + missing.stderr + result.stderr
    finally:
        redis.stop()


def test_the_daemon_logs_a_wrong_password_once_then_at_debug(workdir, nodes):
    from harness import RedisServer, wait_for
    redis = RedisServer(workdir, password="right-password")
    redis.start()
    try:
        node = nodes("host1", "--redis", f"redis://:wrong@127.0.0.1:{redis.port}", "--auth", "insecure-query",
                     "--broker-reconnect-max", "100ms", "--log-level", "debug")

        def retries():
            return [e for e in node.log_entries() if e.get("msg") == "Redis connection attempt failed again; retrying"]
        wait_for(lambda: len(retries()) >= 20, what="20 retries")
        assert all(e["level"] == "debug" for e in retries())
        errors = [e for e in node.log_entries() if e.get("level") == "error"]
        # Once per connection (subscriber, publisher) in 20 retries every 100 ms at most, not every retry.
        assert len(errors) == 2, errors
        assert all(e["msg"].startswith("Redis refused the password (WRONGPASS)") for e in errors), errors
    finally:
        redis.stop()


def test_a_failed_start_removes_the_app_socket_it_created_and_a_stop_too(workdir):
    import socket as sockets
    busy = sockets.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    app_socket = os.path.join(workdir, "failed.sock")
    try:
        result = run("serve", "--listen", f"127.0.0.1:{busy.getsockname()[1]}", "--admin-listen", "off",
                     "--app-socket", app_socket)
        assert result.returncode == 1
        assert "cannot start" in result.stderr
        port = busy.getsockname()[1]
        assert (f"cannot open the WebSocket listener on 127.0.0.1:{port}: the address is in use" in result.stderr
                and "set listen (--listen) to a free address" in result.stderr), result.stderr
        assert "broker link down" not in result.stderr, "a start undone is not a broker outage"
        assert not os.path.exists(app_socket), "the socket file it had created is gone"
    finally:
        busy.close()
    process = subprocess.Popen([wsbridge_binary(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off",
                                "--app-socket", app_socket], stderr=subprocess.DEVNULL)
    try:
        from harness import wait_for
        wait_for(lambda: os.path.exists(app_socket), what="the app socket")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not os.path.exists(app_socket), "a drained daemon removes its socket file"
