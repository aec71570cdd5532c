#!/usr/bin/env python3
"""wsbridge demo: a chat and notification app in one file, Python 3.11 standard library only.

It attaches to a running ``wsbridge serve --auth app`` over the app socket, serves the WebSocket path
``/ws`` and decides who may connect there:

* a client connects with ``?token=USER.SIGNATURE``, where SIGNATURE is the hex HMAC-SHA256 of USER
  under the demo secret; a valid token is accepted as USER, anything else is refused with HTTP 401;
* an accepted client is sent ``{"type":"welcome","user":USER}``;
* a text message is chat: ``{"from":USER,"text":...}`` is published to everyone;
* ``/notify BOB some text`` publishes ``{"from":USER,"to":"BOB","text":"some text"}`` to BOB only
  (every session of BOB, on every host running wsbridge), with a delivery receipt: the sender is told
  ``{"type":"notified","to":"BOB","sessions":N,"hosts":M}`` or, when nobody holds BOB,
  ``{"type":"offline","to":"BOB"}`` (where a real app would fall back to e-mail or push);
* ``/who A B …`` answers ``{"type":"presence","users":{"A":{"sessions":N,"hosts":M},…}}``.

It also serves the browser page (examples/browser/index.html) on a small HTTP server and prints links
to open, with a freshly minted token in them: one over WebSocket, one over wsbridge's server-sent-events
fallback (``/sse``), where the page receives with ``EventSource`` and sends by ``POST /say`` to this app.

    wsbridge serve --auth app --app-socket /tmp/wsbridge-app.sock &
    python3 examples/python/demo_app.py --socket /tmp/wsbridge-app.sock

Options (see --help): --socket, --ws-url, --sse-url, --http, --path, --secret (or $DEMO_SECRET),
--demo-user.
SIGINT and SIGTERM detach cleanly (wsbridge then closes this app's clients with 1012 so they can
reconnect to another instance); exit status 0 then, 1 if the daemon went away, 2 if startup failed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsbridge_client import WSBridgeConnectionError, WSBridgeError, connect  # noqa: E402

#: The development secret used when neither --secret nor $DEMO_SECRET is given. Never use it for real.
DEV_SECRET = "wsbridge-demo-dev-secret-not-for-production"
PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "browser", "index.html")


def log(*parts: object) -> None:
    print("demo_app:", *parts, flush=True)


# -- tokens ---------------------------------------------------------------------------------------

def sign(secret: str, user: str) -> str:
    """Hex HMAC-SHA256 of ``user`` under ``secret``."""
    return hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()


def mint_token(secret: str, user: str) -> str:
    """A token for ``user``: ``USER.SIGNATURE``."""
    return f"{user}.{sign(secret, user)}"


def verify_token(secret: str, token: str) -> str | None:
    """The user a valid token names, or None. The user may itself contain dots."""
    user, dot, signature = token.rpartition(".")
    if not dot or not user or len(user.encode()) > 256:
        return None
    return user if hmac.compare_digest(sign(secret, user), signature.lower()) else None


# -- the app --------------------------------------------------------------------------------------

class ChatApp:
    """Handles wsbridge events; runs on the client's dispatcher thread."""

    def __init__(self, secret: str):
        self.secret = secret
        self.client = None          # set once attached
        self.users: dict[str, str] = {}  # conn -> user, for the connections this app accepted
        self.draining = threading.Event()
        self.attached = threading.Event()  # set once self.client is there

    def handle(self, event: dict) -> None:
        self.attached.wait()  # events can come before connect() has returned the client
        handler = getattr(self, "on_" + str(event.get("type")), None)
        if handler is None:
            return  # deliver (this app registers no sessions), or an event type newer than this app
        try:
            handler(event)
        except WSBridgeError as error:
            # Routine races: a client that left before the answer or right after it (unknown_conn).
            log(f"{event.get('type')} {event.get('conn', '')}: wsbridge said {error}")
        except WSBridgeConnectionError as error:
            log(f"lost wsbridge while handling {event.get('type')}: {error}")

    def on_connect(self, event: dict) -> None:
        conn = event["conn"]
        query = urllib.parse.parse_qs(event.get("query", ""))
        token = (query.get("token") or [""])[0]
        authorization = event.get("headers", {}).get("authorization", "")
        if not token and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        user = verify_token(self.secret, token) if token else None
        if user is None:
            reason = "invalid token" if token else "missing token"
            self.client.reject(conn, 401, f"{reason}: connect with ?token=USER.SIGNATURE "
                                          f"(hex HMAC-SHA256 of USER under the demo secret)\n")
            log(f"rejected {conn} from {event.get('remote')}: {reason}")
            return
        self.client.accept(conn, user)
        self.users[conn] = user
        log(f"accepted {conn} from {event.get('remote')} as {user}")
        self.client.send(conn, {"type": "welcome", "user": user})

    def on_message(self, event: dict) -> None:
        conn, user = event["conn"], str(event["user"])
        if event.get("binary"):
            self.client.send(conn, {"type": "error", "text": "binary messages are not supported"})
            return
        self.said(user, event["data"], lambda message: self.client.send(conn, message))

    def said(self, user: str, text: str, reply) -> None:
        """What ``user`` typed, from a WebSocket message or a ``POST /say``; ``reply`` answers the sender."""
        if text.startswith("/notify"):
            parts = text.split(None, 2)
            if len(parts) < 3 or parts[0] != "/notify":
                reply({"type": "error", "text": "usage: /notify USER text"})
                return
            target = parts[1]
            published = self.client.publish({"from": user, "to": target, "text": parts[2]}, user=target, receipt=True)
            receipt = published["receipt"]
            if target in receipt["offline"]:
                reply({"type": "offline", "to": target})
                log(f"{user} notified {target}, who is offline")
            else:
                reply({"type": "notified", "to": target, "sessions": receipt["sessions"],
                       "hosts": receipt["hosts"], "unknown_hosts": receipt["unknown_hosts"]})
                log(f"{user} notified {target}: {receipt['sessions']} session(s) on {receipt['hosts']} host(s)")
        elif text.startswith("/who"):
            names = text.split()[1:]
            if not names:
                reply({"type": "error", "text": "usage: /who USER [USER ...]"})
                return
            reply({"type": "presence", "users": self.client.presence(names)})
        elif text.startswith("/"):
            reply({"type": "error", "text": f"unknown command {text.split()[0]}; try /notify USER text or /who USER"})
        elif text.strip():
            self.client.publish({"from": user, "text": text}, all=True)

    def on_closed(self, event: dict) -> None:
        self.users.pop(event["conn"], None)
        log(f"{event['conn']} ({event.get('user')}) closed with {event.get('code', 'no close frame')}")

    def on_shutdown(self, event: dict) -> None:
        self.draining.set()
        log(f"wsbridge is shutting down (drain {event.get('drain_ms')} ms)")


# -- the page -------------------------------------------------------------------------------------

class PageHandler(http.server.BaseHTTPRequestHandler):
    """Serves examples/browser/index.html at /, and takes what a page on server-sent events types
    (``POST /say`` with ``{"token": ..., "text": ...}``; the answer is the list of replies)."""

    server_version = "wsbridge-demo"
    app: "ChatApp | None" = None  # set by main()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if urllib.parse.urlsplit(self.path).path != "/say":
            return self.answer(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= 65536:
            return self.answer(413 if length else 411, {"error": "send a JSON body of at most 64 KiB"})
        try:
            said = json.loads(self.rfile.read(length))
            token, text = str(said["token"]), str(said["text"])
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": 'expected {"token": ..., "text": ...}'})
        user = verify_token(self.app.secret, token)
        if user is None:
            return self.answer(401, {"error": "invalid token"})
        replies: list = []
        try:
            self.app.said(user, text, replies.append)
        except (WSBridgeError, WSBridgeConnectionError) as error:
            return self.answer(503, {"error": f"wsbridge: {error}"})
        self.answer(200, replies)

    def answer(self, status: int, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/", "/index.html"):
            with open(PAGE, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
        elif path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        else:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the app's own log lines are the interesting ones


def default_sse_url(ws_url: str) -> str:
    """``ws://host:port/ws`` -> ``http://host:port/sse`` (``wss`` -> ``https``): wsbridge's default fallback."""
    parts = urllib.parse.urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    return urllib.parse.urlunsplit((scheme, parts.netloc, "/sse", "", ""))


def parse_host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wsbridge demo chat/notification app")
    parser.add_argument("--socket", default=os.environ.get("WSBRIDGE_APP_SOCKET", "wsbridge-app.sock"),
                        help="wsbridge's app socket (default $WSBRIDGE_APP_SOCKET or wsbridge-app.sock)")
    parser.add_argument("--ws-url", default="ws://127.0.0.1:8080/ws",
                        help="the WebSocket URL browsers use to reach wsbridge (put in the printed link)")
    parser.add_argument("--sse-url", default=None,
                        help="the server-sent-events URL of the same wsbridge (default: --ws-url with http:// and /sse)")
    parser.add_argument("--http", type=parse_host_port, default=("127.0.0.1", 8000), metavar="HOST:PORT",
                        help="where to serve the browser page (default 127.0.0.1:8000)")
    parser.add_argument("--path", default="/ws", help="the WebSocket path this app serves (default /ws)")
    parser.add_argument("--secret", default=os.environ.get("DEMO_SECRET"),
                        help="token secret (default $DEMO_SECRET, else a fixed development secret)")
    parser.add_argument("--demo-user", action="append", dest="demo_users", metavar="USER",
                        help="print a link for this user (repeatable; default alice and bob)")
    args = parser.parse_args(argv)

    secret = args.secret
    if not secret:
        secret = DEV_SECRET
        log(f"using the built-in development secret {DEV_SECRET!r}: set --secret or DEMO_SECRET for anything real")

    app = ChatApp(secret)
    PageHandler.app = app
    sse_url = args.sse_url or default_sse_url(args.ws_url)
    try:
        client = connect(args.socket, "demo-chat", [args.path], on_event=app.handle)
    except (WSBridgeConnectionError, WSBridgeError) as error:
        log(f"cannot attach to wsbridge: {error}")
        return 2
    app.client = client
    app.attached.set()
    welcome = client.welcome
    log(f"attached to wsbridge node {welcome.get('node')} (version {welcome.get('version')}) at {args.socket}, "
        f"serving {args.path}")

    try:
        httpd = http.server.ThreadingHTTPServer(args.http, PageHandler)
    except OSError as error:
        log(f"cannot serve the page on {args.http[0]}:{args.http[1]}: {error}")
        client.disconnect()
        return 2
    httpd.daemon_threads = True
    http_thread = threading.Thread(target=httpd.serve_forever, name="http", daemon=True)
    http_thread.start()
    host, port = httpd.server_address[:2]
    page = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    log(f"serving the page at {page}")
    for user in args.demo_users or ["alice", "bob"]:
        query = urllib.parse.urlencode({"token": mint_token(secret, user), "ws": args.ws_url}, safe=":/")
        log(f"open as {user}: {page}?{query}")
        query = urllib.parse.urlencode({"token": mint_token(secret, user), "sse": sse_url}, safe=":/")
        log(f"open as {user} over server-sent events: {page}?{query}")

    stop = threading.Event()
    stopped_by = []

    def on_signal(signum: int, _frame: object) -> None:
        stopped_by.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    threading.Thread(target=lambda: (client.wait_closed(), stop.set()), name="watch", daemon=True).start()
    log("ready")

    while not stop.wait(0.5):
        pass

    httpd.shutdown()
    httpd.server_close()
    if stopped_by:
        log(f"{stopped_by[0]}: detaching from wsbridge")
        client.disconnect()
        return 0
    if app.draining.is_set():
        log("wsbridge closed the app socket after draining; exiting")
        return 0
    log("lost the connection to wsbridge; exiting")
    return 1


if __name__ == "__main__":
    sys.exit(main())
