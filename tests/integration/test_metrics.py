"""A scripted day in the life of one wsbridge, read back from its admin listener's /metrics.

Connects, a refused handshake, deliveries from Redis and from an app, an invalid channel message, a
client message, a clean close, a slow consumer, a Redis restart: after each phase every counter must
have moved by exactly what the phase did. One event loop, so each message is one latency sample.
"""

import contextlib
import json
import signal
import subprocess

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import RawApp, RawWebSocket, wait_for, wsbridge_binary

CHANNEL = "websocket:sendMsgTopic"
SLOW_MESSAGES = 400


def series(name, **labels):
    if not labels:
        return name
    return name + "{" + ",".join(f'{key}="{value}"' for key, value in sorted(labels.items())) + "}"


CONNECTS = series("wsbridge_connects_total")
OPEN = series("wsbridge_connections_open", path="/ws")
REDIS_DELIVERIES = series("wsbridge_deliveries_total", source="redis")
BROKER_IN = series("wsbridge_broker_messages_total", direction="in")
BROKER_OUT = series("wsbridge_broker_messages_total", direction="out")
LATENCY_COUNT = series("wsbridge_delivery_latency_seconds_count")


def delta(after, before):
    """What moved between two scrapes: {series: after - before} for the series that changed."""
    return {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key, 0.0)}


def moved(after, before, prefixes):
    """The changes among series whose name starts with one of `prefixes` (counters, not gauges)."""
    return {key: value for key, value in delta(after, before).items() if key.startswith(prefixes)}


COUNTERS = ("wsbridge_connects_total", "wsbridge_disconnects_total", "wsbridge_auth_refusals_total",
            "wsbridge_client_messages", "wsbridge_deliveries_total", "wsbridge_limit_hits_total",
            "wsbridge_broker_messages_total", "wsbridge_broker_reconnects_total", "wsbridge_broker_publish_failures",
            "wsbridge_invalid_channel_messages_total", "wsbridge_app_", "wsbridge_delivery_latency_seconds_count",
            "wsbridge_history_catchups_total", "wsbridge_history_gaps_total")


def test_every_counter_moves_by_exactly_what_happened(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query", "--event-loops", "1",
                 "--max-queue-bytes", "256KiB", "--close-timeout", "1s", "--broker-reconnect-max", "300ms")
    wait_for(lambda: node.http("/healthz", admin=True)[0] == 200, what="admin /healthz 200")
    assert node.http("/readyz", admin=True) == (200, "ready\n")
    assert node.http("/metrics")[0] == 404, "metrics are not on the public port"
    m0 = node.metrics()
    assert m0[series("wsbridge_broker_up", broker="redis")] == 1
    assert m0[series("wsbridge_apps_attached")] == 0

    with contextlib.ExitStack() as stack:
        scenario(node, redis_server, m0, stack)


def scenario(node, redis_server, m0, stack):
    # Phase 1: three clients, one refusal, an app with a session for A, deliveries, a client message.
    a1 = stack.enter_context(connect(node.url(user="A")))
    a2 = stack.enter_context(connect(node.url(user="A")))
    b = stack.enter_context(connect(node.url(user="B")))
    with pytest.raises(InvalidStatus):
        connect(node.url())  # no ?user=: 401 before the upgrade
    app = RawApp(node.app_socket, name="metrics-app", paths=[])  # frames: hello in, welcome out
    app.send_raw(b"{not json")  # in; error out
    assert app.read()["code"] == "invalid_json"
    assert app.request({"type": "register", "session": "s1", "user": "A"})["type"] == "ok"  # in, out
    wait_for(lambda: node.metrics()[series("wsbridge_sessions")] == 4, what="3 clients and 1 app session")

    redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "one"}))  # A1, A2, s1
    redis_server.publish(CHANNEL, json.dumps({"all": True, "data": "two"}))  # A1, A2, B, s1
    redis_server.publish(CHANNEL, "not json")  # invalid: counted, delivered to nobody
    assert app.request({"type": "publish", "users": ["B"], "data": "three"})["type"] == "ok"  # in, out; B
    assert [a1.recv(timeout=5), a1.recv(timeout=5)] == ["one", "two"]
    assert [a2.recv(timeout=5), a2.recv(timeout=5)] == ["one", "two"]
    assert [b.recv(timeout=5), b.recv(timeout=5)] == ["two", "three"]
    assert [app.next_event("deliver")["data"], app.next_event("deliver")["data"]] == ["one", "two"]  # 2 out
    a1.send("hello")  # no app serves /ws: counted, and counted as unrouted
    b.close()  # close 1000, echoed
    wait_for(lambda: node.metrics()[OPEN] == 2, what="B's connection to end")
    wait_for(lambda: node.metrics()[series("wsbridge_client_messages_total")] == 1, what="A1's message")

    m1 = node.metrics()
    assert moved(m1, m0, COUNTERS) == {
        CONNECTS: 3,
        series("wsbridge_auth_refusals_total", reason="missing_credentials"): 1,
        series("wsbridge_disconnects_total", code="1000"): 1,
        series("wsbridge_client_messages_total"): 1,
        series("wsbridge_client_messages_unrouted_total"): 1,
        REDIS_DELIVERIES: 3 + 4 + 1,
        BROKER_IN: 4,
        BROKER_OUT: 1,
        series("wsbridge_invalid_channel_messages_total"): 1,
        series("wsbridge_app_attaches_total"): 1,
        series("wsbridge_app_frames_total", direction="in"): 4,
        series("wsbridge_app_frames_total", direction="out"): 6,
        series("wsbridge_app_errors_total", code="invalid_json"): 1,
        LATENCY_COUNT: 3,
    }
    assert m1[series("wsbridge_apps_attached")] == 1
    assert m1[series("wsbridge_users")] == 1

    # Phase 2: a client that stops reading falls 256 KiB behind and is cut off with 1008.
    slow = RawWebSocket(node.port, "/ws?user=slow", receive_buffer=4096)
    assert slow.status == 101
    filler = "x" * 16000
    for i in range(SLOW_MESSAGES):  # 6.4 MB for "slow" alone, far past the kernel buffers and the queue limit
        redis_server.publish(CHANNEL, json.dumps({"user": "slow", "data": f"{i:04d}{filler}"}))
    wait_for(lambda: node.metrics()[series("wsbridge_disconnects_total", code="1008")] == 1, timeout=20,
             what="the slow consumer to be closed and, after close_timeout, reset")
    slow.close()
    m2 = node.metrics()
    changed = moved(m2, m1, COUNTERS)
    deliveries_to_slow = changed.pop(REDIS_DELIVERIES, 0)
    assert 0 < deliveries_to_slow < SLOW_MESSAGES, "some messages were written before the cut, none after"
    assert changed.pop(LATENCY_COUNT, 0) == deliveries_to_slow, "one latency sample per message written"
    assert changed == {
        CONNECTS: 1,
        series("wsbridge_limit_hits_total", limit="slow_consumer"): 1,
        series("wsbridge_disconnects_total", code="1008"): 1,
        BROKER_IN: SLOW_MESSAGES,
    }
    assert m2[series("wsbridge_outbound_queue_high_water_bytes")] >= 256 * 1024
    assert any(e.get("msg") == "closing slow consumer" for e in node.log_entries())

    # Phase 3: Redis restarts; the link goes down, /healthz and the gauge follow, both connections
    # (subscriber and publisher) come back once each, and delivery resumes. Redis lost its data (no
    # persistence): the node's two streams (user A's and all) start a new epoch, each a gap that
    # the app hears of twice (for the node, and for its session of A).
    redis_server.stop()
    wait_for(lambda: node.http("/healthz", admin=True)[0] == 503, what="admin /healthz 503 while Redis is down")
    assert node.metrics()[series("wsbridge_broker_up", broker="redis")] == 0
    refused = f"broker link down: connection refused (nothing listens) at 127.0.0.1:{redis_server.port}\n"
    wait_for(lambda: node.http("/readyz", admin=True) == (503, refused), what="/readyz 503 with the cause")
    redis_server.start()
    wait_for(lambda: node.http("/healthz", admin=True)[0] == 200, what="admin /healthz 200 after the restart")
    wait_for(lambda: node.metrics()[series("wsbridge_broker_reconnects_total")] == m2[series("wsbridge_broker_reconnects_total")] + 2,
             what="the publisher connection to be back too")
    wait_for(lambda: redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "after"})) == 1,
             what="the subscription to be back")
    assert a1.recv(timeout=5) == "after"
    assert a2.recv(timeout=5) == "after"
    assert app.next_event("deliver")["data"] == "after"
    wait_for(lambda: node.metrics()[series("wsbridge_history_gaps_total", reason="history_lost")] == 2,
             what="both streams' gaps to be counted")
    m3 = node.metrics()
    assert moved(m3, m2, COUNTERS) == {
        series("wsbridge_broker_reconnects_total"): 2,
        REDIS_DELIVERIES: 3,
        BROKER_IN: 1,
        series("wsbridge_app_frames_total", direction="out"): 1 + 2 + 2,
        LATENCY_COUNT: 1,
        series("wsbridge_history_catchups_total"): 2,
        series("wsbridge_history_gaps_total", reason="history_lost"): 2,
    }
    assert m3[series("wsbridge_broker_up", broker="redis")] == 1
    app.kill()


def test_the_admin_listener_can_be_turned_off(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--admin-listen", "off")
    assert node.admin_address is None
    assert any(e.get("msg", "").startswith("admin listener off") for e in node.log_entries())


def test_readyz_is_503_while_draining(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--drain-timeout", "1s", "--close-timeout", "3s")
    # A client that never answers the close frame keeps the drain going for close_timeout.
    client = RawWebSocket(node.port, "/ws?user=A")
    assert client.status == 101
    assert node.http("/readyz", admin=True)[0] == 200
    node.process.send_signal(signal.SIGTERM)
    wait_for(lambda: node.http("/readyz", admin=True) == (503, "draining\n"), what="/readyz 503 during the drain")
    assert node.http("/metrics", admin=True)[0] == 200, "metrics can still be scraped while draining"
    client.close()


def test_users_count_once_tools_are_not_apps_and_the_process_metrics_are_there(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--event-loops", "2", "--log-level", "debug")
    with contextlib.ExitStack() as stack:
        # Accepted connections go to the event loops in turn: three of A's land on both loops.
        for _ in range(3):
            stack.enter_context(connect(node.url(user="A")))
        stack.enter_context(connect(node.url(user="B")))
        wait_for(lambda: node.metrics()[series("wsbridge_sessions")] == 4, what="4 sessions")
        wait_for(lambda: node.metrics()[series("wsbridge_users")] == 2, what="A and B, each counted once")

        tool = [wsbridge_binary(), "--app-socket", node.app_socket]
        status = json.loads(subprocess.run([tool[0], "status", *tool[1:], "--json"], capture_output=True, text=True,
                                           timeout=30, check=True).stdout)
        assert status["users"] == 2
        assert status["apps"] == [], "the status tool itself is not an app"
        subprocess.run([tool[0], "publish", *tool[1:], "--user", "A", "hi"], capture_output=True, timeout=30, check=True)
        m = node.metrics()
        assert m[series("wsbridge_apps_attached")] == 0
        assert m.get(series("wsbridge_app_attaches_total"), 0) == 0, "tools are not counted as attaches"
        notices = [e for e in node.log_entries() if e.get("msg") in ("app attached", "app detached")]
        assert notices == [], "tools attach and detach at debug only"
        assert len([e for e in node.log_entries() if e.get("msg") == "tool attached"]) == 2

        assert m[series("process_resident_memory_bytes")] > 1 << 20
        assert m[series("process_virtual_memory_bytes")] >= m[series("process_resident_memory_bytes")]
        assert m[series("process_cpu_seconds_total")] > 0
        assert m[series("process_open_fds")] >= 4, "at least the four clients' sockets"
        assert abs(m[series("process_start_time_seconds")] - m[series("wsbridge_start_time_seconds")]) < 1e-6


def test_a_traced_users_connections_and_a_periodic_summary_are_logged(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--log-user", "alice", "--log-summary-interval", "1s")
    with connect(node.url(user="alice")) as alice, connect(node.url(user="bob")) as bob:
        wait_for(lambda: node.metrics()[series("wsbridge_users")] == 2, what="alice and bob")
        app = RawApp(node.app_socket, name="tracer", paths=[])
        assert app.request({"type": "publish", "user": "alice", "data": "hello alice"})["type"] == "ok"
        assert alice.recv(timeout=5) == "hello alice"
        alice.send("hi")
        wait_for(lambda: node.metrics()[series("wsbridge_client_messages_total")] == 1, what="alice's message")
        bob.ping().wait(5)
    wait_for(lambda: any(e.get("msg") == "connection closed" for e in node.log_entries()), what="the closing line")
    lines = [e for e in node.log_entries() if e.get("msg") in ("connection opened", "connection closed")]
    assert {e["wsb.user"] for e in lines} == {"alice"}, "bob's lines are at debug, below the log level"
    opened = next(e for e in lines if e["msg"] == "connection opened")
    closed = next(e for e in lines if e["msg"] == "connection closed")
    assert opened["level"] == closed["level"] == "info"
    assert opened["wsb.path"] == "/ws" and opened["wsb.remote"].startswith("127.0.0.1:") and opened["wsb.subprotocol"] is False
    assert closed["wsb.conn"] == opened["wsb.conn"]
    assert closed["wsb.code"] == "1000"
    assert (closed["wsb.messages_in"], closed["wsb.messages_out"]) == (1, 1)
    assert closed["wsb.bytes_out"] == len("hello alice") + 2 + 4, "the text frame and the close frame"
    assert closed["wsb.bytes_in"] > 0 and closed["wsb.seconds"] > 0

    wait_for(lambda: any(e.get("msg") == "summary" and e.get("wsb.connects", 0) >= 1 for e in node.log_entries()),
             what="a summary line that saw the connects")
    summary = next(e for e in node.log_entries() if e.get("msg") == "summary" and e.get("wsb.connects", 0) >= 1)
    assert summary["level"] == "info"
    assert isinstance(summary["wsb.deliveries"], int) and isinstance(summary["wsb.users"], int)
    app.kill()
