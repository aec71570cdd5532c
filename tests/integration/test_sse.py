"""The server-sent-events fallback (`sse_path`, default /sse) with real clients: the same auth modes as the
WebSocket path, every delivery as an event, the wsbridge.v1 positions as ids so that Last-Event-ID (to any
host) recovers what was missed, apps' send and close, the limits, the drain, metrics and status."""

import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time

from harness import EventStream, RawApp, wait_for, wsbridge_binary

SECRET = "0123456789abcdef0123456789abcdef-test-secret"


def jwt(claims):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def publish(node, *args):
    result = subprocess.run([wsbridge_binary(), "publish", "--app-socket", node.app_socket, *args],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result
    return result.stdout


def fcall(redis_server, envelope):
    return redis_server.cli("FCALL", "wsbridge_publish", "0", json.dumps(envelope))


def ready(stream):
    event = stream.next_event()
    assert event["event"] == "ready", event
    return json.loads(event["data"])


def test_a_stream_gets_every_message_for_its_user_and_everyone_on_the_embedded_broker(nodes):
    node = nodes("host1", "--auth", "insecure-query")
    stream = EventStream(node.address, "/sse?user=alice")
    assert stream.status == 200, stream.body
    assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
    first = ready(stream)
    assert first["recovered"] == 0 and stream.last_id == first["pos"]
    publish(node, "--user", "alice", "hello alice")
    publish(node, "--user", "bob", "not for alice")
    publish(node, "--all", "line one\nline two")
    publish(node, "--user", "alice", "--json", '{"n":1}')
    assert stream.messages(3) == ["hello alice", "line one\nline two", '{"n":1}']
    assert stream.last_id != first["pos"], "durable messages (the embedded history) move the id"
    status = json.loads(subprocess.run([wsbridge_binary(), "status", "--app-socket", node.app_socket, "--json"],
                                       capture_output=True, text=True, timeout=20, check=True).stdout)
    assert status["connections"]["sse"] == 1 and status["connections"]["websocket"] == 0, status["connections"]
    metrics = node.metrics()
    assert metrics['wsbridge_connections_open{path="/sse"}'] == 1
    assert metrics['wsbridge_connections_open{path="/ws"}'] == 0
    assert metrics["wsbridge_sse_connects_total"] == 1
    stream.close()
    wait_for(lambda: node.metrics()['wsbridge_connections_open{path="/sse"}'] == 0, what="the stream to be gone")
    assert node.metrics()['wsbridge_disconnects_total{code="1006"}'] == 1


def test_last_event_id_on_another_host_recovers_what_was_missed_then_live(redis_server, nodes):
    first = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    second = nodes("host2", "--redis", redis_server.url, "--auth", "insecure-query")
    for node in (first, second):
        wait_for(lambda: node.metrics().get("wsbridge_broker_durable") == 1, what="the function library")
    stream = EventStream(first.address, "/sse?user=ann")
    ready(stream)
    fcall(redis_server, {"user": "ann", "data": "m1"})
    assert stream.messages(1) == ["m1"]
    last = stream.last_id
    stream.close()
    # Away: one for ann, one for everyone, a best-effort one (not recoverable), a JSON one.
    fcall(redis_server, {"user": "ann", "data": "m2"})
    fcall(redis_server, {"all": True, "data": "to everyone"})
    redis_server.publish("websocket:sendMsgTopic", json.dumps({"user": "ann", "data": "best effort"}))
    fcall(redis_server, {"user": "ann", "data": {"n": 3}})
    wait_for(lambda: second.metrics().get('wsbridge_broker_messages_total{direction="in"}', 0) >= 5,
             what="host2 to have seen the messages")
    back = EventStream(second.address, "/sse?user=ann", headers={"Last-Event-ID": last})
    assert back.status == 200, back.body
    events = back.events(4)
    assert [(e["event"], e["data"]) for e in events[:3]] == [
        ("message", "m2"), ("message", '{"n": 3}'), ("message", "to everyone")]
    assert events[3]["event"] == "ready" and json.loads(events[3]["data"])["recovered"] == 3
    fcall(redis_server, {"user": "ann", "data": "m4"})
    assert back.messages(1) == ["m4"]
    caught_up = back.last_id
    back.close()
    again = EventStream(first.address, "/sse?user=ann", headers={"Last-Event-ID": caught_up})
    assert json.loads(again.next_event()["data"]) == {"type": "ready", "pos": caught_up, "recovered": 0}
    again.close()


def test_app_mode_asks_the_app_of_the_websocket_path_and_its_send_and_close_reach_the_stream(nodes):
    node = nodes("host1", "--auth", "app")
    app = RawApp(node.app_socket, paths=("/ws",))

    def answer(user):
        connect = app.next_event("connect")
        assert connect["path"] == "/sse" and "token=" in connect["query"], connect
        if user:
            assert app.request({"type": "accept", "conn": connect["conn"], "user": user})["type"] == "ok"
        else:
            app.request({"type": "reject", "conn": connect["conn"], "status": 401, "reason": "bad token"})
        return connect["conn"]

    holder = {}
    thread = threading.Thread(target=lambda: holder.update(conn=answer(None)))
    thread.start()
    refused = EventStream(node.address, "/sse?token=nope")
    thread.join(10)
    assert refused.status == 401 and refused.body.strip() == b"bad token", (refused.status, refused.body)

    thread = threading.Thread(target=lambda: holder.update(conn=answer("carol")))
    thread.start()
    stream = EventStream(node.address, "/sse?token=good")
    thread.join(10)
    assert stream.status == 200
    ready(stream)
    conn = holder["conn"]
    assert app.request({"type": "send", "conn": conn, "data": "just for you"})["type"] == "ok"
    assert app.request({"type": "send", "conn": conn, "data": base64.b64encode(b"\x00\xff").decode(),
                        "binary": True})["type"] == "ok"
    assert stream.next_event() == {"event": "message", "data": "just for you", "id": stream.last_id}
    binary = stream.next_event()
    assert binary["event"] == "binary" and base64.b64decode(binary["data"]) == b"\x00\xff"
    assert app.request({"type": "close", "conn": conn, "code": 4000, "reason": "bye"})["type"] == "ok"
    rest = stream.wait_closed()
    assert [(e["event"], json.loads(e["data"])) for e in rest] == [("close", {"type": "close", "code": 4000, "reason": "bye"})]
    closed = app.next_event("closed")
    assert closed["conn"] == conn and closed["user"] == "carol" and closed["code"] == 4000, closed


def test_jwt_mode_takes_the_token_from_the_query_and_refuses_without_it(workdir, nodes):
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    node = nodes("host1", "--auth", "jwt", "--jwt-secret-file", secret_file)
    stream = EventStream(node.address, "/sse?token=" + jwt({"sub": "dave", "exp": int(time.time()) + 60}))
    assert stream.status == 200, stream.body
    ready(stream)
    publish(node, "--user", "dave", "pushed")
    assert stream.messages(1) == ["pushed"]
    refused = EventStream(node.address, "/sse")
    assert refused.status == 401 and refused.headers.get("www-authenticate") == "Bearer", refused.headers


def test_http_answers_on_the_stream_path_and_the_path_can_be_moved_or_turned_off(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--allowed-origins", "https://app.example")
    wrong_accept = EventStream(node.address, "/sse?user=a", accept="text/html")
    assert wrong_accept.status == 406 and b"Accept: text/event-stream" in wrong_accept.body
    bad_id = EventStream(node.address, "/sse?user=a", headers={"Last-Event-ID": "nonsense"})
    assert bad_id.status == 400 and b"since" in bad_id.body
    evil = EventStream(node.address, "/sse?user=a", headers={"Origin": "https://evil.example"})
    assert evil.status == 403
    good = EventStream(node.address, "/sse?user=a", headers={"Origin": "https://app.example"})
    assert good.status == 200 and good.headers["access-control-allow-origin"] == "https://app.example"
    good.close()

    moved = nodes("host2", "--auth", "insecure-query", "--sse-path", "/events")
    assert EventStream(moved.address, "/events?user=a").status == 200
    assert EventStream(moved.address, "/sse?user=a").status == 404
    off = nodes("host3", "--auth", "insecure-query", "--sse-path", "off")
    assert EventStream(off.address, "/sse?user=a").status == 404


def test_a_user_over_max_connections_per_user_gets_429_whatever_the_transport(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--max-connections-per-user", "1")
    first = EventStream(node.address, "/sse?user=erin")
    assert first.status == 200
    second = EventStream(node.address, "/sse?user=erin")
    assert second.status == 429 and b"max_connections_per_user" in second.body
    assert node.metrics()['wsbridge_limit_hits_total{limit="max_connections_per_user"}'] == 1
    first.close()
    wait_for(lambda: EventStream(node.address, "/sse?user=erin").status == 200, what="the place to be given back")


def test_a_stream_that_does_not_read_is_closed_as_a_slow_consumer_and_others_get_everything(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--max-queue-bytes", "256KiB", "--close-timeout", "1s")
    app = RawApp(node.app_socket)
    slow = EventStream(node.address, "/sse?user=slow", receive_buffer=4096)
    ready(slow)
    fast = EventStream(node.address, "/sse?user=fast")
    ready(fast)
    filler = "x" * 16000
    total = 400  # 6.4 MB for everyone: far past the kernel buffers and the 256 KiB queue
    for i in range(total):
        assert app.request({"type": "publish", "all": True, "data": f"{i:04d}{filler}"})["type"] == "ok"
        assert fast.messages(1, timeout=10)[0][:4] == f"{i:04d}", "the fast stream reads as it goes"
    assert node.metrics()['wsbridge_limit_hits_total{limit="slow_consumer"}'] == 1
    wait_for(lambda: node.metrics()['wsbridge_connections_open{path="/sse"}'] == 1, what="the slow stream to be gone")


def test_sigterm_sends_every_stream_a_close_event_with_1001(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--drain-timeout", "200ms")
    stream = EventStream(node.address, "/sse?user=frank")
    ready(stream)
    node.process.send_signal(signal.SIGTERM)
    rest = stream.wait_closed(timeout=10)
    assert rest and rest[-1]["event"] == "close", rest
    assert json.loads(rest[-1]["data"]) == {"type": "close", "code": 1001, "reason": "server shutting down"}
    assert node.process.wait(timeout=10) == 0
