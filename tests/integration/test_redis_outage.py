"""Redis goes away and comes back: /healthz follows it and delivery resumes without restarting wsbridge."""

import json
import subprocess
import time

from websockets.sync.client import connect

from harness import wait_for

CHANNEL = "websocket:sendMsgTopic"


def test_a_redis_restart_is_survived(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query", "--broker-reconnect-max", "500ms")
    wait_for(lambda: node.http("/healthz")[0] == 200, what="/healthz 200")
    with connect(node.url(user="A")) as a:
        redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "before"}))
        assert a.recv(timeout=5) == "before"

        redis_server.stop()
        wait_for(lambda: node.http("/healthz")[0] == 503, what="/healthz 503 while Redis is down")
        assert "broker link down" in node.http("/healthz")[1]

        redis_server.start()
        wait_for(lambda: node.http("/healthz")[0] == 200, timeout=10, what="/healthz 200 after Redis is back")
        wait_for(lambda: redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "after"})) == 1,
                 what="the subscription to be back")
        assert a.recv(timeout=5) == "after"


def test_a_killed_subscription_is_reestablished_at_once(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query")
    wait_for(lambda: node.http("/healthz")[0] == 200, what="/healthz 200")
    with connect(node.url(user="A")) as a:
        redis_server.cli("CLIENT", "KILL", "TYPE", "pubsub")
        started = time.monotonic()
        wait_for(lambda: redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "back"})) == 1,
                 timeout=5, interval=0.01, what="resubscription")
        elapsed = time.monotonic() - started
        assert a.recv(timeout=5) == "back"
        print(f"resubscribed after CLIENT KILL in {elapsed * 1000:.0f} ms")


def test_redis_unreachable_at_start_is_retried(workdir, nodes):
    from harness import RedisServer
    server = RedisServer(workdir)  # not started yet
    node = nodes("host1", "--redis", server.url, "--auth", "insecure-query", "--broker-reconnect-max", "300ms")
    assert node.http("/healthz")[0] == 503
    server.start()
    try:
        wait_for(lambda: node.http("/healthz")[0] == 200, timeout=10, what="/healthz 200 once Redis appears")
    finally:
        server.stop()
