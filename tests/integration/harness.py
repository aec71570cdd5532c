"""Real parts for the integration tests: redis-server on a free port, wsbridge processes, raw sockets.

Every process is started here, remembered by PID, and ended by PID. Only loopback addresses are used.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def wsbridge_binary():
    path = os.environ.get("WSBRIDGE_BIN", os.path.join(ROOT, ".build", "debug", "wsbridge"))
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"wsbridge binary not found at {path}: run `swift build` first or set WSBRIDGE_BIN")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http_get(address, path):
    """(status, body) of GET http://address/path."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class RedisServer:
    """A redis-server of our own on a free loopback port; can be stopped and started again on that port."""

    def __init__(self, workdir, password=None, persistence=False):
        self.port = free_port()
        self.workdir = workdir
        self.password = password
        # With persistence, every write is in the append-only file before Redis answers it
        # (appendfsync always), so a SIGKILL loses nothing Redis accepted.
        self.persistence = persistence
        self.process = None

    @property
    def url(self):
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, wait=True):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--daemonize", "no", "--dir", self.workdir]
        if self.persistence:
            args += ["--appendonly", "yes", "--appendfsync", "always",
                     "--appendfilename", f"redis-{self.port}.aof", "--appenddirname", f"aof-{self.port}"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if wait:
            wait_for(lambda: self.cli("PING") == "PONG", what="redis-server to answer PING")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self):
        """SIGKILL: no shutdown, no save; what the kernel had not sent is lost."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def cli(self, *args):
        base = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if self.password:
            base += ["--no-auth-warning", "-a", self.password]
        result = subprocess.run(base + list(args), capture_output=True, text=True, timeout=10)
        return result.stdout.strip()

    def publish(self, channel, message):
        return int(self.cli("PUBLISH", channel, message) or "0")


class Node:
    """One `wsbridge serve` process ("a host"), listening on ports it picked itself: the WebSocket
    listener and the admin listener (`--admin-listen 127.0.0.1:0`, unless `args` say otherwise)."""

    def __init__(self, workdir, name, args):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.app_socket = os.path.join(workdir, f"{name}.sock")
        self.process = subprocess.Popen(
            [wsbridge_binary(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
             "--node-id", name, "--log-format", "json", "--app-socket", self.app_socket] + args,
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            line = wait_for(lambda: self._listening_line("websocket"), timeout=20, what=f"{name} to log 'listening'")
        except BaseException:
            self.stop()  # never leave a process behind when start-up fails
            raise
        self.address = line["wsb.address"]
        self.port = int(self.address.rsplit(":", 1)[1])
        admin = self._listening_line("admin")  # logged before the WebSocket listener's line, if on
        self.admin_address = admin["wsb.address"] if admin else None

    def _listening_line(self, listener):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.logs()}")
        for entry in self.log_entries():
            if entry.get("msg") == "listening" and entry.get("wsb.listener") == listener:
                return entry
        return None

    def logs(self):
        with open(self.log_path) as f:
            return f.read()

    def log_entries(self):
        entries = []
        for raw in self.logs().splitlines():
            try:
                entries.append(json.loads(raw))
            except ValueError:
                pass
        return entries

    def url(self, path="/ws", **query):
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return f"ws://{self.address}{path}" + (f"?{q}" if q else "")

    def http(self, path, admin=False):
        """(status, body) of GET http://node/path, on the admin listener if `admin`."""
        return http_get(self.admin_address if admin else self.address, path)

    def metrics(self):
        """The admin listener's /metrics as {series: value}, series written `name{a="1",b="2"}` with the
        labels sorted by name."""
        status, body = self.http("/metrics", admin=True)
        assert status == 200, (status, body)
        return parse_prometheus(body)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


def print_log_tails(request, nodes, lines=60):
    """When the test of `request` failed, prints the end of each node's log (pytest shows it under
    "Captured stdout teardown"), so that a failure seen once in CI can be read afterwards."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    for node in nodes:
        logged = node.logs().splitlines()
        print(f"--- the last {min(len(logged), lines)} of {len(logged)} lines of {node.name}'s log ---")
        print("\n".join(logged[-lines:]))


def parse_prometheus(text):
    """Samples of the Prometheus text format as {series: float}; comments are skipped."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        if "{" in series:
            name, _, labels = series.partition("{")
            parts = sorted(part for part in labels.rstrip("}").split(",") if part)
            series = name + "{" + ",".join(parts) + "}"
        samples[series] = float(value)
    return samples


class RawWebSocket:
    """A WebSocket client on a plain socket, for what libraries won't do: stop reading on purpose."""

    def __init__(self, port, path, receive_buffer=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Before connecting, so the window the server sees stays small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("connection closed during handshake")
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])

    def read_until_closed(self, timeout=30):
        """Reads every frame until the server closes the TCP connection; returns (texts, close_code)."""
        self.sock.settimeout(timeout)
        data = self.buffer
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        texts, close_code, offset = [], None, 0
        while offset + 2 <= len(data):
            opcode, length = data[offset] & 0x0F, data[offset + 1] & 0x7F
            offset += 2
            if length == 126:
                length = int.from_bytes(data[offset:offset + 2], "big")
                offset += 2
            elif length == 127:
                length = int.from_bytes(data[offset:offset + 8], "big")
                offset += 8
            if offset + length > len(data):
                break
            payload = data[offset:offset + length]
            offset += length
            if opcode == 1:
                texts.append(payload.decode())
            elif opcode == 8 and len(payload) >= 2:
                close_code = int.from_bytes(payload[:2], "big")
        return texts, close_code

    def close(self):
        self.sock.close()


class RawApp:
    """An app on the app socket, speaking the wire format by hand (4-byte length + JSON), so tests can
    also send what a well-behaved client library never would."""

    def __init__(self, path, name="test-app", paths=("/ws",), hello=True):
        import struct
        self._struct = struct
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.next_id = 1
        self.backlog = []
        if hello:
            self.welcome = self.request({"type": "hello", "protocol": 1, "name": name, "paths": list(paths)})
            assert self.welcome["type"] == "welcome", self.welcome

    def send_raw(self, body):
        self.sock.sendall(self._struct.pack(">I", len(body)) + body)

    def send(self, message):
        self.send_raw(json.dumps(message).encode())

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("the daemon closed the app socket")
            data += chunk
        return data

    def read(self):
        """The next frame from the daemon (events and replies alike)."""
        if self.backlog:
            return self.backlog.pop(0)
        (length,) = self._struct.unpack(">I", self._read_exact(4))
        return json.loads(self._read_exact(length))

    def request(self, message):
        """Sends a request with a fresh id and returns its reply; other events are kept for read()."""
        message = dict(message, id=self.next_id)
        self.next_id += 1
        self.send(message)
        while True:
            (length,) = self._struct.unpack(">I", self._read_exact(4))
            frame = json.loads(self._read_exact(length))
            if frame.get("id") == message["id"]:
                return frame
            self.backlog.append(frame)

    def next_event(self, type_, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.read()
            if frame.get("type") == type_:
                return frame
        raise AssertionError(f"no {type_} event within {timeout}s")

    def kill(self):
        self.sock.close()


class EventStream:
    """A server-sent-events client on a plain socket (`GET path`, `Accept: text/event-stream`), parsing
    the stream as the WHATWG spec says: events are {"event", "data", "id"} dicts; comments are kept
    apart so that keep-alives can be seen."""

    def __init__(self, address, path, headers=None, accept="text/event-stream", receive_buffer=None, ssl_context=None):
        host, port = address.rsplit(":", 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Before connecting, so the window the server sees stays small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect((host, int(port)))
        if ssl_context:
            self.sock = ssl_context.wrap_socket(self.sock, server_hostname=host)
        lines = [f"GET {path} HTTP/1.1", f"Host: {address}", "Cache-Control: no-cache"]
        if accept:
            lines.append(f"Accept: {accept}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            response += chunk
        head, _, self.pending = response.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split(" ")[1]) if status_line else 0
        self.headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.body = b""
        if self.status != 200:
            self.body = self.pending + self._read_to_end()
        self.comments = []
        self.closed = False
        self.last_id = ""

    def _read_to_end(self):
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        return data

    def _line(self, deadline):
        while True:
            index = min((i for i in (self.pending.find(b"\n"), self.pending.find(b"\r")) if i >= 0), default=-1)
            if index >= 0 and not (self.pending[index:index + 1] == b"\r" and index + 1 == len(self.pending)):
                line = self.pending[:index]
                skip = 2 if self.pending[index:index + 2] == b"\r\n" else 1
                self.pending = self.pending[index + skip:]
                return line.decode()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete line in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                raise EOFError("the server ended the stream")
            self.pending += chunk

    def next_event(self, timeout=5):
        """The next dispatched event: {"event": type, "data": text, "id": last event id}."""
        deadline = time.monotonic() + timeout
        event_type, data = "", []
        while True:
            line = self._line(deadline)
            if line == "":
                if data:
                    return {"event": event_type or "message", "data": "\n".join(data), "id": self.last_id}
                event_type = ""
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, colon, value = line.partition(":")
            if colon and value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
            elif name == "id" and "\0" not in value:
                self.last_id = value

    def events(self, count, timeout=5):
        return [self.next_event(timeout) for _ in range(count)]

    def messages(self, count, timeout=5):
        """The data of the next `count` "message" events, skipping others (ready, gap)."""
        found = []
        deadline = time.monotonic() + timeout
        while len(found) < count:
            event = self.next_event(max(0.01, deadline - time.monotonic()))
            if event["event"] == "message":
                found.append(event["data"])
        return found

    def wait_closed(self, timeout=5):
        """Reads until the server closes; returns the events read meanwhile."""
        events = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                events.append(self.next_event(max(0.01, deadline - time.monotonic())))
        except EOFError:
            return events

    def close(self):
        self.sock.close()
