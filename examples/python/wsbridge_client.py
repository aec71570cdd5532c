"""A small client for wsbridge's app socket (protocol v1), Python 3.11 standard library only.

An app attaches to the running daemon over its Unix socket, says which WebSocket paths it serves,
and from then on receives events (``connect``, ``message``, ``closed``, ``deliver``, ``shutdown``)
and sends requests (``accept``, ``reject``, ``register``, ``unregister``, ``publish``, ``send``,
``close``, ``ping``). The wire format and every field are specified in docs/protocol.md.

Usage::

    from wsbridge_client import connect, WSBridgeError

    with connect("/run/wsbridge/app.sock", "chat", ["/ws"]) as app:
        for event in app.events():
            if event["type"] == "connect":
                app.accept(event["conn"], "alice")
            elif event["type"] == "message":
                app.publish(event["data"], all=True)

Every request method sends one request with a fresh ``id`` and waits for its reply: it returns the
reply (a dict) on ``ok``/``pong``, raises :class:`WSBridgeError` on ``error``, and raises
:class:`WSBridgeConnectionError` if the socket goes away first or no reply comes within ``timeout``.
Methods may be called from any thread, including from an ``on_event`` callback.

Events are delivered either through :meth:`WSBridgeClient.events` (an iterator) or, if ``on_event``
is given to :func:`connect`, to that callback on a dedicated dispatcher thread (never on the thread
that reads the socket, so a callback may call request methods and wait for their replies).
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import queue
import socket
import sys
import threading
from typing import Any, Callable, Iterable, Iterator

__all__ = [
    "PROTOCOL_VERSION",
    "WSBridgeClient",
    "WSBridgeConnectionError",
    "WSBridgeError",
    "connect",
    "event_data",
]

PROTOCOL_VERSION = 1

#: Largest event frame this client accepts from the daemon. The protocol lets events exceed
#: ``max_frame_bytes`` (a client message plus base64 overhead), so this is generous on purpose.
MAX_EVENT_BYTES = 64 * 1024 * 1024

_REPLY_TYPES = frozenset({"welcome", "ok", "error", "pong", "presence"})
_CLOSED = object()  # sentinel put on the event queue when the link ends


class WSBridgeError(Exception):
    """The daemon answered a request with an ``error`` event.

    ``code`` is the stable error code from docs/protocol.md (``bad_field``, ``unknown_conn``,
    ``not_pending``, ...); ``message`` is the daemon's human-readable explanation.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class WSBridgeConnectionError(ConnectionError):
    """The app socket could not be reached, or the link was lost before a reply arrived."""


def event_data(event: dict) -> str | bytes:
    """The payload of a ``message`` or ``deliver`` event: ``str`` for text, ``bytes`` for binary."""
    data = event.get("data", "")
    if event.get("binary"):
        return base64.b64decode(data)
    return data


def connect(socket_path: str, name: str, paths: Iterable[str] = (), *,
            on_event: Callable[[dict], Any] | None = None, timeout: float = 10.0,
            presence_events: bool = False) -> "WSBridgeClient":
    """Attaches to wsbridge at ``socket_path`` and performs the ``hello``/``welcome`` exchange.

    ``name`` names the app in the daemon's logs and ``wsbridge status``; ``paths`` are the WebSocket
    paths it serves (``["/ws"]``), or empty for a publish-only app that never gets ``connect``.
    ``on_event``, if given, is called with each event dict on a dispatcher thread; otherwise read
    events with :meth:`WSBridgeClient.events`. ``timeout`` bounds each wait for a reply (seconds).
    With ``presence_events``, the app also gets ``online`` and ``offline`` events: a user's first
    session anywhere arrived, or its last one anywhere left.

    Raises :class:`WSBridgeConnectionError` with a readable explanation if the socket is missing or
    nobody listens on it, and :class:`WSBridgeError` if the daemon refuses the ``hello``.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        sock.settimeout(None)
    except FileNotFoundError:
        sock.close()
        raise WSBridgeConnectionError(
            f"wsbridge app socket {socket_path!r} does not exist: is `wsbridge serve --app-socket "
            f"{socket_path}` running (and is this the path it was given)?") from None
    except ConnectionRefusedError:
        sock.close()
        raise WSBridgeConnectionError(
            f"nothing is listening on {socket_path!r}: the socket file is there but wsbridge is not "
            f"running (a stale socket from an earlier run?)") from None
    except PermissionError:
        sock.close()
        raise WSBridgeConnectionError(
            f"permission denied opening {socket_path!r}: run as a user allowed to use wsbridge's app "
            f"socket (in the package, a member of the wsbridge group)") from None
    except OSError as error:
        sock.close()
        raise WSBridgeConnectionError(f"cannot connect to wsbridge app socket {socket_path!r}: {error}") from None
    client = WSBridgeClient(sock, timeout=timeout)
    try:
        hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "name": name, "paths": list(paths)}
        if presence_events:
            hello["presence_events"] = True
        client.welcome = client._request(hello)
    except BaseException:
        client.disconnect()
        raise
    if on_event is not None:
        client._start_dispatcher(on_event)
    return client


class WSBridgeClient:
    """One attached app connection. Create it with :func:`connect`.

    Attributes: ``welcome`` (the daemon's ``welcome`` event: ``node``, ``version``, ``limits``).
    Use it as a context manager, or call :meth:`disconnect` when done.
    """

    def __init__(self, sock: socket.socket, *, timeout: float = 10.0):
        self._sock = sock
        self.timeout = timeout
        self.welcome: dict = {}
        self._ids = itertools.count(1)
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._pending: dict[int, list] = {}          # id -> [threading.Event, reply]
        self._order: collections.deque[int] = collections.deque()  # ids in send order
        self._events: queue.Queue = queue.Queue()
        self._closed = False
        self._close_reason = "the app socket was closed"
        self._dispatcher: threading.Thread | None = None
        self._reader = threading.Thread(target=self._read_loop, name="wsbridge-reader", daemon=True)
        self._reader.start()

    # -- requests -------------------------------------------------------------------------------

    def accept(self, conn: str, user: str | int) -> dict:
        """Answers a ``connect``: the connection belongs to ``user``; the upgrade completes."""
        return self._request({"type": "accept", "conn": conn, "user": user})

    def reject(self, conn: str, status: int = 403, reason: str = "") -> dict:
        """Answers a ``connect`` with HTTP ``status`` (400-599) and ``reason`` as the body."""
        return self._request({"type": "reject", "conn": conn, "status": status, "reason": reason})

    def register(self, session: str, user: str | int) -> dict:
        """Receives every message published for ``user`` as ``deliver`` events tagged ``session``."""
        return self._request({"type": "register", "session": session, "user": user})

    def unregister(self, session: str) -> dict:
        """Stops the deliveries of a session registered with :meth:`register`."""
        return self._request({"type": "unregister", "session": session})

    def publish(self, data: Any, *, user: str | int | None = None, users: Iterable[str | int] | None = None,
                all: bool = False, binary: bool = False, receipt: bool = False) -> dict:  # noqa: A002
        """Publishes ``data`` to every session of one target, on every host.

        Give exactly one of ``user=``, ``users=`` or ``all=True``. ``data`` is a ``str`` (sent as
        text), any other JSON-serialisable value (sent as its JSON text), or ``bytes`` (sent as a
        binary message; ``binary`` is implied). Returns once the broker took the message.

        With ``receipt=True`` it returns once the hosts holding the users reported (at most the
        daemon's ``receipt_window`` later); the reply's ``receipt`` says what the message reached:
        ``sessions``, ``hosts``, ``unknown_hosts`` (hosts that did not answer in time), ``users``
        (``{user: {"sessions": N, "hosts": M}}``) and ``offline`` (addressed users nobody held).
        """
        targets = [user is not None, users is not None, bool(all)]
        if sum(targets) != 1:
            raise ValueError("publish needs exactly one of user=, users= or all=True")
        request: dict[str, Any] = {"type": "publish"}
        if user is not None:
            request["user"] = user
        elif users is not None:
            request["users"] = list(users)
        else:
            request["all"] = True
        request.update(self._data(data, binary))
        if receipt:
            request["receipt"] = True
        return self._request(request)

    def presence(self, users: Iterable[str | int]) -> dict:
        """Who holds each user, across every host: ``{user: {"sessions": N, "hosts": M}}``.

        One round trip to the daemon (and from it to Redis) for the whole batch; user ids that are
        integers come back as their decimal text.
        """
        return self._request({"type": "presence", "users": list(users)})["users"]

    def send(self, conn: str, data: Any, *, binary: bool = False) -> dict:
        """Sends ``data`` to one connection this app accepted (same ``data`` rules as publish)."""
        return self._request({"type": "send", "conn": conn, **self._data(data, binary)})

    def close(self, conn: str, code: int = 1000, reason: str = "") -> dict:
        """Closes one connection this app accepted with WebSocket ``code`` (1000 or 3000-4999).

        This closes a *client connection*; to detach the app itself, use :meth:`disconnect`.
        """
        return self._request({"type": "close", "conn": conn, "code": code, "reason": reason})

    def ping(self) -> dict:
        """Round trip to the daemon; when it returns, every earlier request has been handled."""
        return self._request({"type": "ping"})

    # -- events ---------------------------------------------------------------------------------

    def events(self, timeout: float | None = None) -> Iterator[dict]:
        """Yields events (dicts with ``type``) until the link closes.

        With ``timeout``, stops after that many seconds without an event. Not available when the
        client was created with ``on_event``.
        """
        if self._dispatcher is not None:
            raise RuntimeError("events are going to the on_event callback")
        while True:
            event = self.next_event(timeout)
            if event is None:
                return
            yield event

    def next_event(self, timeout: float | None = None) -> dict | None:
        """The next event, or ``None`` if the link closed or ``timeout`` seconds passed."""
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is _CLOSED:
            self._events.put(_CLOSED)  # every later call sees the end too
            return None
        return event

    @property
    def connected(self) -> bool:
        """False once the link to the daemon is gone."""
        return not self._closed

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Blocks until the link closes (the daemon went away, or :meth:`disconnect`)."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def disconnect(self) -> None:
        """Detaches from the daemon. Everything this app registered there is cleaned up by it."""
        self._fail_all("the app disconnected")
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        if threading.current_thread() is not self._reader:
            self._reader.join(5)
        if self._dispatcher is not None and threading.current_thread() is not self._dispatcher:
            self._dispatcher.join(5)

    def __enter__(self) -> "WSBridgeClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.disconnect()

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _data(data: Any, binary: bool) -> dict:
        if isinstance(data, (bytes, bytearray, memoryview)):
            return {"data": base64.b64encode(bytes(data)).decode("ascii"), "binary": True}
        if binary:
            if not isinstance(data, str):
                raise TypeError("binary=True needs bytes, or a base64 str")
            return {"data": data, "binary": True}
        return {"data": data}

    def _request(self, message: dict) -> dict:
        request_id = next(self._ids)
        message = {"type": message["type"], "id": request_id,
                   **{k: v for k, v in message.items() if k != "type"}}
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        limit = self.welcome.get("limits", {}).get("max_frame_bytes")
        if limit and len(body) > limit:
            raise WSBridgeError("frame_too_large",
                                f"a {message['type']} request of {len(body)} bytes exceeds the daemon's "
                                f"max_frame_bytes ({limit}); it was not sent")
        slot = [threading.Event(), None]
        with self._state_lock:
            if self._closed:
                raise WSBridgeConnectionError(self._close_reason)
            self._pending[request_id] = slot
            self._order.append(request_id)
        try:
            with self._send_lock:
                self._sock.sendall(len(body).to_bytes(4, "big") + body)
        except OSError as error:
            self._forget(request_id)
            raise WSBridgeConnectionError(f"cannot write to the wsbridge app socket: {error}") from None
        if not slot[0].wait(self.timeout):
            self._forget(request_id)
            raise WSBridgeConnectionError(f"no reply to {message['type']} within {self.timeout}s")
        reply = slot[1]
        if reply is None:
            raise WSBridgeConnectionError(self._close_reason)
        if reply.get("type") == "error":
            raise WSBridgeError(str(reply.get("code", "internal")), str(reply.get("message", "")))
        return reply

    def _forget(self, request_id: int) -> None:
        with self._state_lock:
            self._pending.pop(request_id, None)
            try:
                self._order.remove(request_id)
            except ValueError:
                pass

    def _read_exactly(self, n: int) -> bytes | None:
        chunks, remaining = [], n
        while remaining:
            chunk = self._sock.recv(min(remaining, 1 << 16))
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _read_loop(self) -> None:
        reason = "the wsbridge daemon closed the app socket"
        try:
            while True:
                header = self._read_exactly(4)
                if header is None:
                    break
                length = int.from_bytes(header, "big")
                if not 0 < length <= MAX_EVENT_BYTES:
                    reason = f"the daemon sent a frame length of {length}; the stream cannot be trusted"
                    break
                body = self._read_exactly(length)
                if body is None:
                    reason = "the daemon closed the app socket in the middle of a frame"
                    break
                try:
                    event = json.loads(body.decode("utf-8"))
                except ValueError as error:
                    reason = f"the daemon sent a frame that is not UTF-8 JSON: {error}"
                    break
                if isinstance(event, dict):
                    self._handle(event)
        except OSError as error:
            if not self._closed:
                reason = f"the app socket failed: {error}"
        self._fail_all(reason)
        self._events.put(_CLOSED)

    def _handle(self, event: dict) -> None:
        if event.get("type") not in _REPLY_TYPES:
            self._events.put(event)
            return
        with self._state_lock:
            request_id = event.get("id")
            if request_id in self._pending:
                self._order.remove(request_id)
            elif self._order and request_id is None:
                # An error about a frame whose id could not be read: replies come in request
                # order, so it answers the oldest request still waiting.
                request_id = self._order.popleft()
            else:
                return  # a late reply to a request that timed out
            slot = self._pending.pop(request_id)
        slot[1] = event
        slot[0].set()

    def _fail_all(self, reason: str) -> None:
        with self._state_lock:
            if not self._closed:
                self._closed = True
                self._close_reason = reason
            pending, self._pending = self._pending, {}
            self._order.clear()
        for slot in pending.values():
            slot[0].set()  # reply stays None: the waiter raises WSBridgeConnectionError

    def _start_dispatcher(self, on_event: Callable[[dict], Any]) -> None:
        def dispatch() -> None:
            while True:
                event = self._events.get()
                if event is _CLOSED:
                    self._events.put(_CLOSED)
                    return
                try:
                    on_event(event)
                except Exception as error:  # a failing handler must not stop the event stream
                    print(f"wsbridge_client: on_event raised {error!r} for a {event.get('type')} event",
                          file=sys.stderr)

        self._dispatcher = threading.Thread(target=dispatch, name="wsbridge-dispatcher", daemon=True)
        self._dispatcher.start()
