"""The examples in examples/, each run for real against a wsbridge daemon started with --auth app.

demo_app.py (Python) runs as its own process attached to the daemon's app socket and decides who may
connect; real WebSocket clients, the Node publisher and a headless Chromium loading the browser page
talk to it through the daemon. Only loopback addresses are used; every process is ended by PID.
"""

import hashlib
import hmac
import html.parser
import base64
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from browser import Browser
from harness import ROOT, RawApp, free_port, wait_for, wsbridge_binary

EXAMPLES = os.path.join(ROOT, "examples")
DEMO_APP = os.path.join(EXAMPLES, "python", "demo_app.py")
NOTIFY_JS = os.path.join(EXAMPLES, "node", "notify.js")
SECRET = "integration-test-demo-secret"
JWT_SECRET = "0123456789abcdef0123456789abcdef-test-secret"

sys.path.insert(0, os.path.join(EXAMPLES, "python"))
import wsbridge_client  # noqa: E402


def token(user, secret=SECRET):
    return user + "." + hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()


def jwt_token(claims):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    return f"{header}.{payload}." + b64(hmac.new(JWT_SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())


class DemoApp:
    """examples/python/demo_app.py as a subprocess, attached to one node's app socket."""

    def __init__(self, workdir, node):
        self.node = node
        self.http_port = free_port()
        self.log_path = os.path.join(workdir, "demo_app.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-u", DEMO_APP, "--socket", node.app_socket, "--ws-url", node.url(),
             "--http", f"127.0.0.1:{self.http_port}", "--secret", SECRET],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._ready, timeout=20, what="demo_app.py to print 'ready'")

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"demo_app.py exited with {self.process.returncode}:\n{self.output()}")
        return "demo_app: ready" in self.output()

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def link(self, user):
        """The page link demo_app.py printed for `user`."""
        for line in self.output().splitlines():
            if line.startswith(f"demo_app: open as {user}: "):
                return line.split(": ", 2)[2]
        raise AssertionError(f"no link for {user} in:\n{self.output()}")

    def stop(self, timeout=10):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


@pytest.fixture
def demo(workdir, nodes):
    node = nodes("host1", "--auth", "app")
    app = DemoApp(workdir, node)
    yield app
    app.stop()


def receive_json(ws, timeout=5):
    return json.loads(ws.recv(timeout=timeout))


# -- demo_app.py with real WebSocket clients --------------------------------------------------------

def test_demo_app_welcomes_a_valid_token_and_refuses_others_with_401(demo):
    with connect(demo.node.url(token=token("alice"))) as ws:
        assert receive_json(ws) == {"type": "welcome", "user": "alice"}

    for bad in [token("alice", secret="some other secret"), "alice." + "0" * 64, "alice", "garbage.", ""]:
        with pytest.raises(InvalidStatus) as refused:
            connect(demo.node.url(token=bad))
        assert refused.value.response.status_code == 401, bad
        assert b"token" in refused.value.response.body, "the reason is the body"
    with pytest.raises(InvalidStatus) as refused:
        connect(demo.node.url())
    assert refused.value.response.status_code == 401
    assert b"missing token" in refused.value.response.body


def test_demo_app_chat_reaches_everyone_and_notify_only_its_target(demo):
    with connect(demo.node.url(token=token("alice"))) as alice, connect(demo.node.url(token=token("bob"))) as bob:
        assert receive_json(alice) == {"type": "welcome", "user": "alice"}
        assert receive_json(bob) == {"type": "welcome", "user": "bob"}

        alice.send("hello, everyone")
        chat = {"from": "alice", "text": "hello, everyone"}
        assert receive_json(alice) == chat
        assert receive_json(bob) == chat

        alice.send("/notify bob hi")
        assert receive_json(bob) == {"from": "alice", "to": "bob", "text": "hi"}
        # The sender learns from the receipt that bob was reached.
        assert receive_json(alice) == {"type": "notified", "to": "bob", "sessions": 1, "hosts": 1, "unknown_hosts": 0}
        alice.send("/notify carol are you there?")
        assert receive_json(alice) == {"type": "offline", "to": "carol"}
        alice.send("/who bob carol")
        assert receive_json(alice) == {"type": "presence", "users": {"bob": {"sessions": 1, "hosts": 1},
                                                                      "carol": {"sessions": 0, "hosts": 0}}}

        # The notification was for bob only: the next thing alice gets is bob's later chat message
        # (one publisher, the demo app: its messages arrive in the order it published them).
        bob.send("got it")
        assert receive_json(alice) == {"from": "bob", "text": "got it"}
        assert receive_json(bob) == {"from": "bob", "text": "got it"}

        alice.send("/notify")
        assert receive_json(alice) == {"type": "error", "text": "usage: /notify USER text"}


def test_demo_app_detaches_cleanly_on_sigterm(demo):
    with connect(demo.node.url(token=token("alice"))) as alice:
        assert receive_json(alice) == {"type": "welcome", "user": "alice"}
        assert demo.stop() == 0
        assert "SIGTERM: detaching from wsbridge" in demo.output()
        with pytest.raises(ConnectionClosed) as closed:
            alice.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012, "its clients may reconnect elsewhere"


def test_demo_app_serves_the_page_and_prints_links_with_valid_tokens(demo):
    link = demo.link("alice")
    parts = urllib.parse.urlsplit(link)
    assert (parts.hostname, parts.port) == ("127.0.0.1", demo.http_port)
    query = urllib.parse.parse_qs(parts.query)
    assert query == {"token": [token("alice")], "ws": [demo.node.url()]}
    with urllib.request.urlopen(link, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        with open(os.path.join(EXAMPLES, "browser", "index.html"), "rb") as f:
            assert response.read() == f.read()


def test_demo_app_explains_a_missing_socket(workdir):
    missing = os.path.join(workdir, "nothing-here.sock")
    result = subprocess.run([sys.executable, DEMO_APP, "--socket", missing, "--http", f"127.0.0.1:{free_port()}"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"wsbridge app socket '{missing}' does not exist" in result.stdout


# -- wsbridge_client.py on its own -------------------------------------------------------------------

def test_python_client_requests_errors_and_deliveries(nodes):
    node = nodes("host1", "--auth", "app")
    with wsbridge_client.connect(node.app_socket, "client-test", []) as app:
        assert app.welcome["type"] == "welcome" and app.welcome["node"] == "host1"
        assert app.welcome["limits"]["max_frame_bytes"] > 0
        assert app.ping()["type"] == "pong"

        assert app.register("s1", "bob")["type"] == "ok"
        with pytest.raises(wsbridge_client.WSBridgeError) as failed:
            app.register("s1", "bob")
        assert failed.value.code == "duplicate_session"

        app.publish("hello bob", user="bob")
        app.publish({"n": 1}, users=["bob", "carol"])
        app.publish(b"\x00\x01\xff", all=True)
        events = [app.next_event(timeout=5) for _ in range(3)]
        assert [(e["type"], e["session"], str(e["user"])) for e in events] == [("deliver", "s1", "bob")] * 3
        assert [wsbridge_client.event_data(e) for e in events] == ["hello bob", '{"n":1}', b"\x00\x01\xff"]

        assert app.unregister("s1")["type"] == "ok"
        with pytest.raises(wsbridge_client.WSBridgeError) as failed:
            app.unregister("s1")
        assert failed.value.code == "unknown_session"
        with pytest.raises(wsbridge_client.WSBridgeError) as failed:
            app.send("c999999", "hi")
        assert failed.value.code == "unknown_conn"
        with pytest.raises(wsbridge_client.WSBridgeError) as failed:
            app.close("c999999", code=1001)
        assert failed.value.code == "bad_field" and "1001" in failed.value.message
        with pytest.raises(wsbridge_client.WSBridgeError) as failed:
            app.accept("c999999", "alice")
        assert failed.value.code == "unknown_conn", "an id wsbridge never issued"
        assert app.ping()["type"] == "pong", "errors leave the link usable"


def test_python_client_explains_a_missing_socket(workdir):
    with pytest.raises(wsbridge_client.WSBridgeConnectionError, match="does not exist"):
        wsbridge_client.connect(os.path.join(workdir, "missing.sock"), "x", [])


# -- the Node client ----------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_notify_reaches_the_user(demo):
    with connect(demo.node.url(token=token("bob"))) as bob, connect(demo.node.url(token=token("alice"))) as alice:
        assert receive_json(bob) == {"type": "welcome", "user": "bob"}
        assert receive_json(alice) == {"type": "welcome", "user": "alice"}
        result = subprocess.run(["node", NOTIFY_JS, "--socket", demo.node.app_socket, "--user", "bob", "hello"],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        reply = json.loads(result.stdout.split(" published to ", 1)[0])
        assert reply["type"] == "ok"
        assert "published to user bob" in result.stdout
        assert bob.recv(timeout=5) == "hello"

        result = subprocess.run(["node", NOTIFY_JS, "--socket", demo.node.app_socket, "--all", "--json",
                                 '{"from":"ops","text":"maintenance at 5"}'], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert receive_json(alice) == {"from": "ops", "text": "maintenance at 5"}, "alice got no 'hello' before"
        assert receive_json(bob) == {"from": "ops", "text": "maintenance at 5"}

        result = subprocess.run(["node", NOTIFY_JS, "--socket", demo.node.app_socket, "--receipt", "--users", "bob,carol",
                                 "with a receipt"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        reply = json.loads(result.stdout.split(" published to ", 1)[0])
        assert reply["receipt"]["users"]["bob"] == {"sessions": 1, "hosts": 1} and reply["receipt"]["offline"] == ["carol"]
        assert "reached 1 session(s) on 1 host(s); offline: carol" in result.stdout
        assert bob.recv(timeout=5) == "with a receipt"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_notify_explains_a_missing_socket(workdir):
    missing = os.path.join(workdir, "missing.sock")
    result = subprocess.run(["node", NOTIFY_JS, "--socket", missing, "--user", "bob", "hello"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


# -- the browser page in headless Chromium --------------------------------------------------------------

def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class MessageItems(html.parser.HTMLParser):
    """The text of every element with class "msg" in a document."""

    def __init__(self):
        super().__init__()
        self.items, self._depth = [], 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += 1
        elif "msg" in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.items.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.items[-1] += data


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (scripts/setup-debian.sh installs it)")
def test_browser_page_shows_the_welcome(demo, workdir):
    def run_chromium(*args):
        return subprocess.run(
            [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", f"--user-data-dir={os.path.join(workdir, 'chromium')}",
             "--virtual-time-budget=8000", "--window-size=900,700", *args, demo.link("alice")],
            capture_output=True, text=True, timeout=90)

    result = run_chromium("--dump-dom")
    assert result.returncode == 0, result.stderr
    parser = MessageItems()
    parser.feed(result.stdout)
    assert "Welcome, alice!" in parser.items, result.stdout
    assert 'id="status" class="open"' in result.stdout, "the page shows it is connected"

    screenshot = os.environ.get("EXAMPLES_SCREENSHOT") or os.path.join(workdir, "page.png")
    result = run_chromium(f"--screenshot={screenshot}")
    assert result.returncode == 0, result.stderr
    with open(screenshot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# -- the browser page over server-sent events, driven in headless Chromium -----------------------------

def sse_link(demo, user):
    for line in demo.output().splitlines():
        if line.startswith(f"demo_app: open as {user} over server-sent events: "):
            return line.split(": ", 2)[2]
    raise AssertionError(f"no server-sent-events link for {user} in:\n{demo.output()}")


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (scripts/setup-debian.sh installs it)")
def test_browser_page_chats_over_server_sent_events(demo, workdir):
    page = Browser(workdir)
    try:
        page.open(sse_link(demo, "alice"))
        page.wait("document.getElementById('status').className === 'open'", what="the page to connect")
        page.wait("document.body.textContent.includes('Welcome, alice!')", what="the app's welcome, sent to the stream")
        assert page.evaluate("document.getElementById('status').textContent") == "connected (server-sent events)"
        # Typed in the page: POST /say to the demo app, published to everyone, back through the stream.
        page.evaluate("document.getElementById('text').value = 'hello over SSE';"
                      "document.getElementById('chat').requestSubmit()")
        page.wait("document.body.textContent.includes('hello over SSE')", what="the chat message to come back")
        page.evaluate("document.getElementById('text').value = '/notify bob hi'; document.getElementById('chat').requestSubmit()")
        page.wait("document.body.textContent.includes('bob is offline')", what="the receipt's answer, from /say")
        with connect(demo.node.url(token=token("bob"))) as bob:
            assert receive_json(bob) == {"type": "welcome", "user": "bob"}
            bob.send("/notify alice from a WebSocket")
            page.wait("document.body.textContent.includes('from a WebSocket')", what="bob's notification")
        assert "alice:hello over SSE" in page.messages()
    finally:
        page.close()


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (scripts/setup-debian.sh installs it)")
def test_browser_eventsource_comes_back_with_last_event_id_and_gets_what_it_missed(workdir, nodes):
    """A cross-origin page (served here on another port) over jwt auth: the app its stream is pinned to
    goes away and wsbridge ends the stream with 1012; Chromium's EventSource reconnects by itself with
    Last-Event-ID, and the message published while it was away is shown, once."""
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(JWT_SECRET + "\n")
    node = nodes("host1", "--auth", "jwt", "--jwt-secret-file", secret_file)
    app = RawApp(node.app_socket, paths=("/ws",))

    class Page(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=os.path.join(EXAMPLES, "browser"), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    page = Browser(workdir)
    try:
        alice = jwt_token({"sub": "alice", "exp": int(time.time()) + 600})
        page.open(f"http://127.0.0.1:{httpd.server_address[1]}/index.html?token={alice}&sse=http://{node.address}/sse")
        page.wait("document.getElementById('status').className === 'open'", what="the page to connect")
        connect_event = app.next_event("connect")  # jwt decided; the app serving /ws is told, with the user
        assert connect_event["path"] == "/sse" and connect_event["user"] == "alice", connect_event
        publish = [wsbridge_binary(), "publish", "--app-socket", node.app_socket, "--user", "alice"]
        subprocess.run(publish + ["before"], check=True, timeout=20)
        page.wait("document.body.textContent.includes('before')", what="the first message")
        app.kill()  # the app its stream is pinned to goes away: wsbridge ends the stream with 1012
        page.wait("document.getElementById('status').textContent.includes('reconnecting')", what="the page to see the close")
        subprocess.run(publish + ["while away"], check=True, timeout=20)
        page.wait("document.getElementById('status').className === 'open'", timeout=20, what="EventSource to reconnect")
        page.wait("document.body.textContent.includes('while away')", what="the missed message, from the history")
        assert [m for m in page.messages() if m in ("before", "while away")] == ["before", "while away"], page.messages()
        metrics = node.metrics()
        assert metrics["wsbridge_history_recoveries_total"] == 1, "the reconnect came with Last-Event-ID"
        assert metrics["wsbridge_history_recovered_messages_total"] == 1, "and got 'while away' from the history"
    finally:
        page.close()
        httpd.shutdown()
        httpd.server_close()
