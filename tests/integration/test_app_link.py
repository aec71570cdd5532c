"""Apps on the app socket, across two hosts on Redis: auth by app, inbound messages, app sessions,
cluster-wide publish, and what happens when an app dies."""

import os
import signal
import socket
import threading
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import RawApp, RawWebSocket, wait_for


def connect_async(url, **options):
    """Starts a WebSocket handshake in a thread (it blocks until an app decides)."""
    result = {}

    def run():
        try:
            result["ws"] = connect(url, open_timeout=10, **options).__enter__()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def accept_next(app, user):
    event = app.next_event("connect")
    assert app.request({"type": "accept", "conn": event["conn"], "user": user})["type"] == "ok"
    return event


def test_apps_on_two_hosts_authenticate_receive_publish_and_clean_up(redis_server, nodes, workdir):
    node1 = nodes("host1", "--redis", redis_server.url)
    node2 = nodes("host2", "--redis", redis_server.url)
    wait_for(lambda: node1.http("/healthz")[0] == 200 and node2.http("/healthz")[0] == 200, what="both linked")
    app1 = RawApp(f"{workdir}/host1.sock", name="app1")
    app2 = RawApp(f"{workdir}/host2.sock", name="app2")

    # A client on node 1 is authenticated by app 1, which sees the handshake's query and headers.
    thread, result = connect_async(node1.url(token="secret-alice"))
    event = accept_next(app1, "alice")
    assert event["query"] == "token=secret-alice" and event["path"] == "/ws"
    thread.join()
    alice = result["ws"]

    # App 2, on the other host, publishes to alice: she receives it.
    assert app2.request({"type": "publish", "user": "alice", "data": "from app2"})["type"] == "ok"
    assert alice.recv(timeout=5) == "from app2"

    # What alice sends reaches app 1 only.
    alice.send("hello app")
    message = app1.next_event("message")
    assert (message["user"], message["data"]) == ("alice", "hello app")
    assert app2.request({"type": "ping"})["type"] == "pong"
    assert not [f for f in app2.backlog if f.get("type") == "message"]

    # App 1 holds a session for bob: a publish to bob from node 2 reaches it.
    assert app1.request({"type": "register", "session": "s-bob", "user": "bob"})["type"] == "ok"
    app2.request({"type": "publish", "user": "bob", "data": {"n": 1}})
    deliver = app1.next_event("deliver")
    assert (deliver["session"], deliver["user"], deliver["data"]) == ("s-bob", "bob", '{"n": 1}')

    # A second app on node 1 serves the same path; then app 1 dies.
    standby = RawApp(f"{workdir}/host1.sock", name="standby")
    app1.kill()
    with pytest.raises(Exception):
        alice.recv(timeout=5)
    assert alice.close_code == 1012
    wait_for(lambda: "app1" not in node1.http("/healthz")[1] and _apps(standby) == ["standby"],
             what="app 1 gone from status")
    # Its session for bob is gone: nothing is delivered to anyone for bob now.
    assert standby.request({"type": "status"}).get("type") in ("status", "error")

    # A new connect is served by the other app on that path.
    thread, result = connect_async(node1.url(token="again"))
    accept_next(standby, "alice")
    thread.join()
    result["ws"].close()


def _apps(app):
    reply = app.request({"type": "status"})
    if reply.get("type") != "status":
        return None
    return [a["name"] for a in reply["status"]["apps"]]


def test_a_rejected_connect_is_a_real_http_status(nodes, workdir):
    node = nodes("host1")
    app = RawApp(f"{workdir}/host1.sock")
    thread, result = connect_async(node.url(token="bad"))
    event = app.next_event("connect")
    assert app.request({"type": "reject", "conn": event["conn"], "status": 403, "reason": "bad token"})["type"] == "ok"
    thread.join()
    assert isinstance(result["error"], InvalidStatus)
    assert result["error"].response.status_code == 403


def test_a_path_no_app_serves_gets_503(nodes, workdir):
    node = nodes("host1")
    RawApp(f"{workdir}/host1.sock", paths=["/other"])
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url())
    assert refused.value.response.status_code == 503


def test_bad_app_input_gets_error_codes_and_harms_no_one(nodes, workdir):
    node = nodes("host1", "--auth", "insecure-query")
    good = RawApp(f"{workdir}/host1.sock", name="good", paths=[])
    bad = RawApp(f"{workdir}/host1.sock", name="bad", paths=[], hello=False)
    bad.send({"type": "publish", "all": True, "data": "x", "id": 1})
    assert bad.read()["code"] == "hello_required"
    bad.send_raw(b"\xff\xfe")
    assert bad.read()["code"] == "invalid_utf8"
    bad.send_raw(b"{nope")
    assert bad.read()["code"] == "invalid_json"
    bad.sock.sendall(b"\x7f\xff\xff\xff")  # a 2 GiB frame
    assert bad.read()["code"] == "frame_too_large"
    with pytest.raises((EOFError, ConnectionError)):
        bad.read()
    with connect(node.url(user="u")) as ws:
        assert good.request({"type": "publish", "user": "u", "data": "still fine"})["type"] == "ok"
        assert ws.recv(timeout=5) == "still fine"


def test_a_stale_socket_file_is_replaced_and_a_live_one_is_not_taken_over(workdir, nodes):
    import socket as sockets
    stale = f"{workdir}/host1.sock"
    leftover = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    leftover.bind(stale)  # bound, never listening: what a crashed daemon leaves behind
    leftover.close()
    node = nodes("host1", "--auth", "insecure-query")
    app = RawApp(stale, paths=[])
    assert app.request({"type": "ping"})["type"] == "pong"
    assert oct(os.stat(stale).st_mode & 0o777) == "0o660"

    from harness import Node
    with pytest.raises(AssertionError) as failed:
        Node(workdir, "host2", ["--auth", "insecure-query", "--app-socket", stale])
    assert (f"cannot open the app socket on {stale}: another process is listening on it" in str(failed.value)
            and "set app_socket (--app-socket) to another path" in str(failed.value)), failed.value
    assert app.request({"type": "ping"})["type"] == "pong", "the first daemon keeps its socket"


def test_peers_outside_app_allowed_uids_are_refused(nodes, workdir):
    other_uid = str(os.getuid() + 4242)
    node = nodes("host1", "--auth", "insecure-query", "--app-allowed-uids", other_uid)
    with pytest.raises((EOFError, ConnectionError)):
        RawApp(f"{workdir}/host1.sock", paths=[])
    refused = [e for e in node.log_entries() if "app_allowed_uids" in e.get("msg", "")]
    assert refused and f"uid={os.getuid()}" in refused[0]["wsb.peer"]


def test_remote_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(nodes, workdir):
    """The test client is the "proxy" on 127.0.0.1 and writes X-Forwarded-For itself."""
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}  # the client wrote the first entry
    for name, args, expected in [("plain", [], None), ("proxied", ["--trusted-proxies", "127.0.0.0/8"], "203.0.113.7")]:
        node = nodes(name, *args)
        app = RawApp(node.app_socket)
        thread, result = connect_async(node.url(), additional_headers=forwarded)
        event = app.next_event("connect")
        assert event["headers"]["x-forwarded-for"] == "198.51.100.1, 203.0.113.7"
        if expected is None:
            assert event["remote"].startswith("127.0.0.1:"), "an untrusted peer is the client"
        else:
            assert event["remote"] == expected
        assert app.request({"type": "reject", "conn": event["conn"], "status": 403})["type"] == "ok"
        thread.join()
        app.kill()


def test_a_drain_answers_a_handshake_still_being_decided_and_waits_for_it(nodes):
    node = nodes("host1", "--auth", "app", "--drain-timeout", "5s", "--close-timeout", "10s")
    app = RawApp(node.app_socket, name="undecided")
    # A client that never answers its close frame keeps the drain going (for close_timeout).
    held = {}
    holder_thread = threading.Thread(target=lambda: held.setdefault("ws", RawWebSocket(node.port, "/ws?token=h")))
    holder_thread.start()
    accept_next(app, "holder")
    holder_thread.join(10)
    holder = held["ws"]
    assert holder.status == 101
    silent = socket.create_connection(("127.0.0.1", node.port), timeout=10)  # no request yet
    thread, result = connect_async(node.url(token="t"))
    app.next_event("connect")  # and never answered
    node.process.send_signal(signal.SIGTERM)
    thread.join(15)
    error = result.get("error")
    assert isinstance(error, InvalidStatus), f"the client got {result}"
    assert error.response.status_code == 503 and error.response.body == b"server shutting down\n"
    assert silent.recv(100) == b"", "no request yet: closed without an answer"
    assert node.process.poll() is None, "both ended by the drain itself, which still waits for the holder"
    assert app.next_event("shutdown")["drain_ms"] == 5000
    assert any(e.get("wsb.reason") == "shutting_down" for e in node.log_entries())
    holder.close()
    assert node.process.wait(timeout=15) == 0
