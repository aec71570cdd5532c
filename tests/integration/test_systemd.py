"""Running under systemd: socket activation with named sockets, sd_notify, drain on SIGTERM, reload on
SIGHUP. systemd is not PID 1 here, so systemd-socket-activate passes the sockets and the test itself
listens on NOTIFY_SOCKET, as systemd would."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import RawApp, free_port, http_get, wait_for, wsbridge_binary

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "systemd-socket-activate"], capture_output=True).returncode != 0,
    reason="systemd-socket-activate is not installed")


class NotifySocket:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []

    def drain(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return self.messages

    def saw(self, needle):
        return any(needle in m for m in self.drain())


def test_socket_activation_readiness_and_drain(workdir):
    port = free_port()
    app_path = os.path.join(workdir, "app.sock")
    notify = NotifySocket(os.path.join(workdir, "notify.sock"))
    log = open(os.path.join(workdir, "activated.log"), "w")
    process = subprocess.Popen(
        ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-l", app_path, "--fdname=ws:app",
         "-E", f"NOTIFY_SOCKET={notify.path}",
         wsbridge_binary(), "serve", "--auth", "insecure-query", "--log-format", "json",
         "--listen", "127.0.0.1:1", "--admin-listen", "127.0.0.1:0", "--app-socket", os.path.join(workdir, "unused.sock"), "--drain-timeout", "2s"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        # systemd-socket-activate binds both sockets, then starts the daemon on the first connection.
        wait_for(lambda: os.path.exists(app_path), what="systemd-socket-activate to bind")
        app = RawApp(app_path, name="activated-app", paths=[])
        wait_for(lambda: notify.saw("READY=1"), what="READY=1 on NOTIFY_SOCKET")
        assert not os.path.exists(os.path.join(workdir, "unused.sock")), "the passed sockets were used"
        clients = [connect(f"ws://127.0.0.1:{port}/ws?user=u{i}").__enter__() for i in range(3)]
        assert app.request({"type": "publish", "all": True, "data": "over activated sockets"})["type"] == "ok"
        for ws in clients:
            assert ws.recv(timeout=5) == "over activated sockets"

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert app.next_event("shutdown")["drain_ms"] == 2000
        for ws in clients:
            with pytest.raises(Exception):
                ws.recv(timeout=10)
            assert ws.close_code == 1001
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - started < 10, "exits within the drain window plus close_timeout"
        assert notify.saw("STOPPING=1")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_sighup_applies_a_new_origin_list_and_keeps_open_connections(workdir, nodes):
    config = os.path.join(workdir, "wsbridge.conf")
    with open(config, "w") as f:
        f.write("auth = insecure-query\nallowed_origins = https://old.example\n")
    node = nodes("host1", "--config", config)
    with connect(node.url(user="a"), origin="https://old.example") as kept:
        with open(config, "w") as f:
            f.write("auth = insecure-query\nallowed_origins = https://new.example\ncompat_user_field = userId\n")
        node.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any(e.get("msg") == "configuration reloaded" for e in node.log_entries()), what="reload")
        with connect(node.url(user="b"), origin="https://new.example") as ws:
            ws.ping().wait(5)
        with pytest.raises(InvalidStatus) as refused:
            connect(node.url(user="c"), origin="https://old.example")
        assert refused.value.response.status_code == 403
        kept.ping().wait(5)  # still open
        restart = [e for e in node.log_entries() if e.get("msg") == "changed settings need a restart to take effect"]
        assert restart and restart[-1]["wsb.keys"] == "compat_user_field"

        # An invalid file is rejected and the running configuration kept.
        with open(config, "w") as f:
            f.write("auth = insecure-query\nallowed_origins = not an origin\n")
        node.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any("reload rejected" in e.get("msg", "") for e in node.log_entries()), what="rejection")
        with connect(node.url(user="d"), origin="https://new.example") as ws:
            ws.ping().wait(5)
        kept.ping().wait(5)


def test_ready_comes_at_once_and_readyz_waits_for_the_broker_link(workdir):
    from harness import RedisServer
    redis = RedisServer(workdir)  # not started yet
    notify = NotifySocket(os.path.join(workdir, "notify2.sock"))
    environment = dict(os.environ, NOTIFY_SOCKET=notify.path)
    process = subprocess.Popen(
        [wsbridge_binary(), "serve", "--auth", "insecure-query", "--listen", "127.0.0.1:0",
         "--admin-listen", "127.0.0.1:0", "--app-socket", os.path.join(workdir, "r.sock"), "--redis", redis.url,
         "--broker-reconnect-max", "200ms", "--log-format", "json"],
        env=environment, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "ready.log"), "w"))

    def admin_address():
        with open(os.path.join(workdir, "ready.log")) as f:
            for line in f:
                entry = json.loads(line)
                if entry.get("msg") == "listening" and entry.get("wsb.listener") == "admin":
                    return entry["wsb.address"]
        return None
    try:
        # READY=1 as soon as it listens (a Redis outage neither holds up the boot nor trips a start
        # timeout); STATUS= and /readyz say what it waits for.
        wait_for(lambda: notify.saw("READY=1"), what="READY=1 while Redis is unreachable")
        assert notify.saw("waiting for the broker link to redis://127.0.0.1:"), notify.messages
        wait_for(lambda: admin_address() is not None, what="the admin listener")
        admin = admin_address()
        refused = f"broker link down: connection refused (nothing listens) at 127.0.0.1:{redis.port}\n"
        wait_for(lambda: http_get(admin, "/readyz") == (503, refused), what="/readyz 503 with the cause")
        redis.start()
        wait_for(lambda: notify.saw("listening, broker linked"), what="STATUS= once Redis is linked")
        wait_for(lambda: http_get(admin, "/readyz") == (200, "ready\n"), what="/readyz 200 once linked")
    finally:
        process.terminate()
        process.wait(timeout=20)
        redis.stop()
