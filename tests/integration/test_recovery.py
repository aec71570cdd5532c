"""The wsbridge.v1 subprotocol: positions on every message, and a client that reconnects with ?since=
(to any host) gets what it missed, in order and once, before live messages; app sessions the same."""

import json
import subprocess

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import RawApp, wait_for, wsbridge_binary

CHANNEL = "websocket:sendMsgTopic"


def fcall(redis_server, envelope):
    """Publishes durably as a producer that never attaches would; returns the position(s)."""
    return redis_server.cli("FCALL", "wsbridge_publish", "0", json.dumps(envelope))


def frames(ws, count, timeout=5):
    return [json.loads(ws.recv(timeout=timeout)) for _ in range(count)]


def subscribed(node, user, since=None):
    query = {"user": user}
    if since:
        query["since"] = since
    return connect(node.url(**query), subprotocols=["wsbridge.v1"])


def wait_durable(node):
    wait_for(lambda: node.metrics().get("wsbridge_broker_durable") == 1, what="the function library to be loaded")


def test_a_client_that_reconnects_to_another_host_gets_what_it_missed_then_live(redis_server, nodes):
    first = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    second = nodes("host2", "--redis", redis_server.url, "--auth", "insecure-query")
    wait_durable(first)
    wait_durable(second)
    with subscribed(first, "ann") as ws, connect(first.url(user="ann")) as plain:
        assert ws.subprotocol == "wsbridge.v1"
        ready = frames(ws, 1)[0]
        assert ready["type"] == "ready" and ready["recovered"] == 0
        for n in (1, 2):
            fcall(redis_server, {"user": "ann", "data": f"m{n}"})
        received = frames(ws, 2)
        assert [f["data"] for f in received] == ["m1", "m2"]
        assert all(f["type"] == "message" for f in received)
        assert plain.recv(timeout=5) == "m1" and plain.recv(timeout=5) == "m2", "no subprotocol: raw payloads"
        last = received[-1]["pos"]
    # Away: a message for ann, one for everyone, a best-effort one (not recoverable) and a JSON one.
    fcall(redis_server, {"user": "ann", "data": "m3"})
    fcall(redis_server, {"all": True, "data": "to everyone"})
    redis_server.publish(CHANNEL, json.dumps({"user": "ann", "data": "best effort"}))
    fcall(redis_server, {"user": "ann", "data": {"n": 4}})
    wait_for(lambda: second.metrics().get('wsbridge_broker_messages_total{direction="in"}', 0) >= 6,
             what="host2 to have seen the messages")
    with subscribed(second, "ann", since=last) as ws:
        missed = frames(ws, 4)
        assert [(f["type"], f.get("data")) for f in missed] == [
            ("message", "m3"), ("message", {"n": 4}), ("message", "to everyone"), ("ready", None)]
        assert missed[-1]["recovered"] == 3
        fcall(redis_server, {"user": "ann", "data": "m5"})
        live = frames(ws, 1)[0]
        assert live["data"] == "m5" and live["pos"] != missed[-1]["pos"]
        # The positions only move forward: reconnecting from the last one replays nothing.
        last = live["pos"]
    with subscribed(first, "ann", since=last) as ws:
        assert frames(ws, 1)[0] == {"type": "ready", "pos": last, "recovered": 0}


def test_a_since_the_history_no_longer_covers_starts_with_a_gap(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query", "--history-size", "2")
    wait_durable(node)
    with subscribed(node, "bob") as ws:
        frames(ws, 1)
        fcall(redis_server, {"user": "bob", "data": "seen"})
        last = frames(ws, 1)[0]["pos"]
    for n in range(5):
        fcall(redis_server, {"user": "bob", "data": f"away {n}"})
    with subscribed(node, "bob", since=last) as ws:
        got = frames(ws, 4)
        assert got[0]["type"] == "gap" and got[0]["stream"] == "user", got
        assert got[0]["reason"] == "history_trimmed" and got[0]["missed"] == 3, got
        assert [f.get("data") for f in got[1:3]] == ["away 3", "away 4"]
        assert got[3]["type"] == "ready"
    assert node.metrics()["wsbridge_history_session_gaps_total"] == 1


def test_a_since_from_a_lost_epoch_is_a_gap_then_everything_the_new_one_holds(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    wait_durable(node)
    with subscribed(node, "cy") as ws:
        frames(ws, 1)
        fcall(redis_server, {"user": "cy", "data": "old"})
        last = frames(ws, 1)[0]["pos"]
    redis_server.stop()
    redis_server.start()  # without persistence: Redis lost the history, the stream gets a new epoch
    wait_durable(node)
    wait_for(lambda: not fcall(redis_server, {"user": "cy", "data": "new"}).startswith("ERR"),
             what="the library to be back in Redis")
    with subscribed(node, "cy", since=last) as ws:
        got = frames(ws, 4)
        assert got[0]["type"] == "gap" and got[0]["stream"] == "user", got
        assert got[0]["reason"] == "history_lost" and "missed" not in got[0], got
        assert got[1]["data"] == "new"
        assert got[2]["type"] == "gap" and got[2]["stream"] == "all", "all lost its history too"
        assert got[3]["type"] == "ready"


def test_a_malformed_since_is_refused_before_the_upgrade(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    with pytest.raises(InvalidStatus) as refused:
        with subscribed(node, "dee", since="not-a-position"):
            pass
    assert refused.value.response.status_code == 400
    assert b"since" in refused.value.response.body


def test_an_app_session_resumes_from_since(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    wait_durable(node)
    app = RawApp(node.app_socket, paths=())
    ok = app.request({"type": "register", "session": "s1", "user": "eve"})
    assert ok["type"] == "ok" and "pos" in ok, ok
    fcall(redis_server, {"user": "eve", "data": "first"})
    deliver = app.next_event("deliver")
    assert deliver["data"] == "first" and deliver["pos"] != ok["pos"]
    assert app.request({"type": "unregister", "session": "s1"})["type"] == "ok"
    fcall(redis_server, {"user": "eve", "data": "while away"})
    fcall(redis_server, {"all": True, "data": "for all"})
    ok = app.request({"type": "register", "session": "s2", "user": "eve", "since": deliver["pos"]})
    missed = [frame for frame in app.backlog if frame["type"] == "deliver"]
    assert [(f["session"], f["data"]) for f in missed] == [("s2", "while away"), ("s2", "for all")]
    assert ok["pos"] == missed[-1]["pos"]
    bad = app.request({"type": "register", "session": "s3", "user": "eve", "since": "nonsense"})
    assert bad["type"] == "error" and bad["code"] == "bad_field", bad


def test_the_embedded_broker_keeps_a_history_too(nodes):
    node = nodes("host1", "--auth", "insecure-query")
    publish = [wsbridge_binary(), "publish", "--app-socket", node.app_socket, "--user", "fay"]
    with subscribed(node, "fay") as ws:
        frames(ws, 1)
        result = subprocess.run(publish + ["one"], capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("-1"), "the CLI prints the position"
        last = frames(ws, 1)[0]["pos"]
    subprocess.run(publish + ["two"], check=True, capture_output=True, timeout=10)
    with subscribed(node, "fay", since=last) as ws:
        got = frames(ws, 2)
        assert [f.get("data") for f in got] == ["two", None] and got[1]["type"] == "ready"
