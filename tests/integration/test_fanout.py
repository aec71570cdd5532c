"""Two hosts behind Redis: "send to user A" reaches A's sessions on both, and nobody else's."""

import json
import subprocess

from websockets.sync.client import connect

from harness import wsbridge_binary

CHANNEL = "websocket:sendMsgTopic"


def two_hosts(redis_server, nodes, *extra):
    common = ["--redis", redis_server.url, "--auth", "insecure-query", *extra]
    return nodes("host1", *common), nodes("host2", *common)


def wait_subscribed(redis_server, count):
    from harness import wait_for
    wait_for(lambda: redis_server.cli("PUBSUB", "NUMSUB", CHANNEL).split("\n")[-1] == str(count),
             what=f"{count} subscribers on the channel")


def test_native_and_seed_messages_reach_every_session_of_the_user_and_no_one_else(redis_server, nodes):
    host1, host2 = two_hosts(redis_server, nodes, "--compat-user-field", "userId")
    wait_subscribed(redis_server, 2)
    with connect(host1.url(user="A")) as a1, connect(host2.url(user="A")) as a2, connect(host1.url(user="B")) as b:
        assert redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "hello A"})) == 2
        assert a1.recv(timeout=5) == "hello A"
        assert a2.recv(timeout=5) == "hello A"

        seed = json.dumps({"userId": "A", "msg": "from the seed's publisher"})
        redis_server.publish(CHANNEL, seed)
        assert a1.recv(timeout=5) == seed, "seed-style messages are delivered whole"
        assert a2.recv(timeout=5) == seed

        redis_server.publish(CHANNEL, json.dumps({"all": True, "data": {"n": 1}}))
        for ws in (a1, a2, b):
            assert ws.recv(timeout=5) == '{"n": 1}', "non-string data is sent as its JSON text"
        # B's first message is the broadcast: neither message for A reached it.


def test_users_lists_reach_each_listed_user_once(redis_server, nodes):
    host1, host2 = two_hosts(redis_server, nodes)
    wait_subscribed(redis_server, 2)
    with connect(host1.url(user="A")) as a, connect(host2.url(user="B")) as b, connect(host2.url(user="C")) as c:
        redis_server.publish(CHANNEL, json.dumps({"users": ["A", "B", "A"], "data": "listed"}))
        redis_server.publish(CHANNEL, json.dumps({"all": True, "data": "marker"}))
        assert a.recv(timeout=5) == "listed"
        assert a.recv(timeout=5) == "marker", "a duplicated user id gets the message once"
        assert b.recv(timeout=5) == "listed"
        assert c.recv(timeout=5) == "marker"


def test_invalid_messages_on_the_channel_harm_nothing(redis_server, nodes):
    host1, _ = two_hosts(redis_server, nodes)
    wait_subscribed(redis_server, 2)
    with connect(host1.url(user="A")) as a:
        for bad in ["not json", "[1,2]", '{"data":"no target"}', '{"user":"A"}', '{"user":"A","all":true,"data":1}']:
            redis_server.publish(CHANNEL, bad)
        redis_server.publish(CHANNEL, json.dumps({"user": "A", "data": "still fine"}))
        assert a.recv(timeout=5) == "still fine"
    warnings = [e for e in host1.log_entries() if e.get("msg") == "invalid message on the channel"]
    assert warnings, "an invalid message is logged"
    assert len(warnings) < 5, "and the log is rate-limited"


def test_the_publish_command_reaches_the_user_through_redis(redis_server, nodes):
    host1, host2 = two_hosts(redis_server, nodes)
    wait_subscribed(redis_server, 2)
    with connect(host1.url(user="A")) as a1, connect(host2.url(user="A")) as a2, connect(host2.url(user="B")) as b:
        subprocess.run([wsbridge_binary(), "publish", "--redis", redis_server.url, "--user", "A", "hi from cli"],
                       check=True, timeout=20)
        assert a1.recv(timeout=5) == "hi from cli"
        assert a2.recv(timeout=5) == "hi from cli"
        subprocess.run([wsbridge_binary(), "publish", "--redis", redis_server.url, "--users", "A,B", "--json",
                        '{"k":[1,2]}'], check=True, timeout=20)
        assert b.recv(timeout=5) == '{"k":[1,2]}'
        subprocess.run([wsbridge_binary(), "publish", "--redis", redis_server.url, "--all", "everyone"],
                       check=True, timeout=20)
        assert b.recv(timeout=5) == "everyone"
        assert a1.recv(timeout=5) == '{"k":[1,2]}'
        assert a1.recv(timeout=5) == "everyone"
