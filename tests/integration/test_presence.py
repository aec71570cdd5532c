"""Presence and delivery receipts on real parts: wsbridge hosts on a real Redis (and the embedded
broker), real WebSocket clients, apps on the real app socket, the CLI."""

import json
import os
import signal
import subprocess
import time

from websockets.sync.client import connect

from harness import RawApp, wait_for, wsbridge_binary

FAST_PRESENCE = ["--auth", "insecure-query", "--presence-ttl", "2s", "--presence-heartbeat-interval", "300ms"]


def _hosts(redis_server, nodes, *extra):
    args = ["--redis", redis_server.url, *FAST_PRESENCE, *extra]
    host1, host2 = nodes("host1", *args), nodes("host2", *args)
    wait_for(lambda: host1.http("/healthz")[0] == 200 and host2.http("/healthz")[0] == 200, what="both linked")
    return host1, host2


def _watcher(node):
    """An app that asked for online and offline events."""
    app = RawApp(node.app_socket, hello=False)
    app.welcome = app.request({"type": "hello", "protocol": 1, "name": "watcher", "paths": [], "presence_events": True})
    assert app.welcome["type"] == "welcome", app.welcome
    return app


def _presence(app, *users):
    reply = app.request({"type": "presence", "users": list(users)})
    assert reply["type"] == "presence", reply
    return {user: (entry["sessions"], entry["hosts"]) for user, entry in reply["users"].items()}


def _events(app, count, timeout=10):
    """The next `count` online/offline events, as "+user" / "-user"."""
    seen = []
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        frame = app.read()
        if frame.get("type") in ("online", "offline"):
            seen.append(("+" if frame["type"] == "online" else "-") + frame["user"])
    assert len(seen) == count, f"wanted {count} presence events, got {seen}"
    return seen


def _quiet(app, seconds=0.5):
    """No presence event arrives for `seconds` (what did arrive is returned)."""
    app.sock.settimeout(seconds)
    extra = []
    try:
        while True:
            frame = app.read()
            if frame.get("type") in ("online", "offline"):
                extra.append(frame)
    except (TimeoutError, OSError):
        pass
    finally:
        app.sock.settimeout(10)
    return extra


def test_presence_follows_users_across_hosts_and_events_tell_the_first_and_last_session(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes)
    watcher = _watcher(host1)
    asker = RawApp(host2.app_socket, paths=())
    alice1 = connect(host1.url(user="alice"))
    alice2 = connect(host2.url(user="alice"))
    bob = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(asker, "alice", "bob", "carol") == {"alice": (2, 2), "bob": (1, 1), "carol": (0, 0)},
             what="both hosts' users in the shared presence")
    assert sorted(_events(watcher, 2)) == ["+alice", "+bob"]
    assert _quiet(watcher) == [], "alice's second host is not news"

    alice1.close()
    wait_for(lambda: _presence(asker, "alice") == {"alice": (1, 1)}, what="alice down to one host")
    assert _quiet(watcher) == [], "alice is still online on host2"
    alice2.close()
    assert _events(watcher, 1) == ["-alice"]
    assert _presence(asker, "alice") == {"alice": (0, 0)}

    # The CLI asks the same way; exit 3 when someone is offline.
    found = subprocess.run([wsbridge_binary(), "presence", "--app-socket", host1.app_socket, "--json", "bob", "alice"],
                           capture_output=True, text=True, timeout=20)
    assert found.returncode == 3, found
    assert json.loads(found.stdout) == {"bob": {"sessions": 1, "hosts": 1}, "alice": {"sessions": 0, "hosts": 0}}
    online = subprocess.run([wsbridge_binary(), "presence", "--app-socket", host1.app_socket, "bob"],
                            capture_output=True, text=True, timeout=20)
    assert online.returncode == 0 and "bob" in online.stdout and "online" in online.stdout, online
    bob.close()
    metrics = host2.metrics()
    assert metrics['wsbridge_presence_queries_total{result="ok"}'] >= 4
    assert metrics['wsbridge_presence_writes_total{result="ok"}'] >= 1


def test_a_killed_host_leaves_the_presence_within_the_ttl_and_a_stopped_one_at_once(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes)
    watcher = _watcher(host1)
    asker = RawApp(host1.app_socket, paths=())
    bob = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(asker, "bob") == {"bob": (1, 1)}, what="bob online")
    assert _events(watcher, 1) == ["+bob"]
    killed_at = time.monotonic()
    host2.stop(sig=signal.SIGKILL)
    # Gone once host2's entry expired (2s after its last heartbeat) and the next heartbeat of host1
    # swept it: within presence_ttl plus one heartbeat interval, with room for a loaded machine.
    wait_for(lambda: _presence(asker, "bob") == {"bob": (0, 0)}, timeout=10, what="bob gone with his host")
    assert _events(watcher, 1) == ["-bob"]
    assert time.monotonic() - killed_at >= 1.0, "not before the TTL could have run out"
    bob.close()

    host3 = nodes("host3", "--redis", redis_server.url, *FAST_PRESENCE)
    carol = connect(host3.url(user="carol"))
    wait_for(lambda: _presence(asker, "carol") == {"carol": (1, 1)}, what="carol online on host3")
    assert _events(watcher, 1) == ["+carol"]
    host3.stop()
    assert _events(watcher, 1, timeout=5) == ["-carol"], "a host that stops cleanly takes its users along"
    assert _presence(asker, "carol") == {"carol": (0, 0)}
    carol.close()


def test_receipts_count_sessions_and_hosts_and_name_who_is_offline(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes)
    publisher = RawApp(host1.app_socket, paths=())
    alice = connect(host1.url(user="alice"))
    bob1 = connect(host2.url(user="bob"))
    bob2 = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(publisher, "alice", "bob") == {"alice": (1, 1), "bob": (2, 1)}, what="everyone online")

    mixed = publisher.request({"type": "publish", "users": ["alice", "bob", "carol"], "data": "m1", "receipt": True})
    assert mixed["type"] == "ok", mixed
    assert mixed["receipt"] == {
        "sessions": 3, "hosts": 2, "unknown_hosts": 0,
        "users": {"alice": {"sessions": 1, "hosts": 1}, "bob": {"sessions": 2, "hosts": 1},
                  "carol": {"sessions": 0, "hosts": 0}},
        "offline": ["carol"]}
    assert mixed["positions"].count(",") == 2, "a durable publish keeps its positions"
    assert alice.recv(timeout=5) == "m1" and bob1.recv(timeout=5) == "m1" and bob2.recv(timeout=5) == "m1"

    offline = publisher.request({"type": "publish", "user": "carol", "data": "m2", "receipt": True})
    assert offline["receipt"]["sessions"] == 0 and offline["receipt"]["offline"] == ["carol"], offline

    remote = publisher.request({"type": "publish", "user": "bob", "data": "m3", "receipt": True})
    assert remote["receipt"]["users"] == {"bob": {"sessions": 2, "hosts": 1}} and remote["receipt"]["offline"] == []

    everyone = publisher.request({"type": "publish", "all": True, "data": "m4", "receipt": True})
    assert (everyone["receipt"]["sessions"], everyone["receipt"]["hosts"], everyone["receipt"]["unknown_hosts"]) == (3, 2, 0)

    plain = publisher.request({"type": "publish", "user": "bob", "data": "m5"})
    assert plain["type"] == "ok" and "receipt" not in plain, "no receipt unless asked"

    # The CLI: the receipt as one JSON object; exit 3 when it reached nobody.
    cli = subprocess.run([wsbridge_binary(), "publish", "--app-socket", host2.app_socket, "--receipt", "--user", "alice", "m6"],
                         capture_output=True, text=True, timeout=20)
    assert cli.returncode == 0, cli
    assert json.loads(cli.stdout.splitlines()[-1])["users"] == {"alice": {"sessions": 1, "hosts": 1}}
    nobody = subprocess.run([wsbridge_binary(), "publish", "--app-socket", host2.app_socket, "--receipt", "--user", "zed", "x"],
                            capture_output=True, text=True, timeout=20)
    assert nobody.returncode == 3 and json.loads(nobody.stdout.splitlines()[-1])["offline"] == ["zed"], nobody

    assert [alice.recv(timeout=5), alice.recv(timeout=5)] == ["m4", "m6"]
    assert [bob1.recv(timeout=5) for _ in range(3)] == ["m3", "m4", "m5"]
    metrics = host1.metrics()
    assert metrics['wsbridge_receipts_total{outcome="complete"}'] >= 4
    assert metrics['wsbridge_receipt_reports_total{direction="in"}'] >= 3
    assert host2.metrics()['wsbridge_receipt_reports_total{direction="out"}'] >= 3
    for ws in (alice, bob1, bob2):
        ws.close()


def test_a_paused_host_is_unknown_in_the_receipt_not_zero(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes, "--receipt-window", "300ms")
    publisher = RawApp(host1.app_socket, paths=())
    alice = connect(host1.url(user="alice"))
    bob = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(publisher, "alice", "bob") == {"alice": (1, 1), "bob": (1, 1)}, what="both online")
    os.kill(host2.process.pid, signal.SIGSTOP)
    try:
        reply = publisher.request({"type": "publish", "users": ["alice", "bob"], "data": "while paused", "receipt": True})
    finally:
        os.kill(host2.process.pid, signal.SIGCONT)
    assert reply["type"] == "ok", reply
    receipt = reply["receipt"]
    assert receipt["unknown_hosts"] == 1 and receipt["hosts"] == 1 and receipt["sessions"] == 1, receipt
    assert receipt["offline"] == [], "bob's host did not answer: he is not known to be offline"
    assert receipt["users"]["alice"] == {"sessions": 1, "hosts": 1}
    assert bob.recv(timeout=10) == "while paused", "the thawed host still delivers it"
    metrics = host1.metrics()
    assert metrics['wsbridge_receipts_total{outcome="window"}'] == 1
    assert metrics["wsbridge_receipt_unknown_hosts_total"] == 1
    alice.close()
    bob.close()


def test_presence_and_receipts_on_the_embedded_broker(nodes):
    host = nodes("solo", "--auth", "insecure-query")
    watcher = _watcher(host)
    alice = connect(host.url(user="alice"))
    assert _events(watcher, 1) == ["+alice"]
    assert _presence(watcher, "alice", "bob") == {"alice": (1, 1), "bob": (0, 0)}
    reply = watcher.request({"type": "publish", "users": ["alice", "bob"], "data": "hi", "receipt": True})
    assert reply["receipt"]["sessions"] == 1 and reply["receipt"]["offline"] == ["bob"], reply
    assert alice.recv(timeout=5) == "hi"
    alice.close()
    assert _events(watcher, 1) == ["-alice"]


def test_without_redis_presence_says_why_and_after_a_restart_every_host_writes_its_users_again(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes)
    asker = RawApp(host1.app_socket, paths=())
    bob = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(asker, "bob") == {"bob": (1, 1)}, what="bob online")
    redis_server.stop()
    wait_for(lambda: host1.http("/healthz")[0] == 503, what="host1 to notice Redis is gone")
    refused = asker.request({"type": "presence", "users": ["bob"]})
    assert refused["type"] == "error" and refused["code"] == "presence_unavailable", refused
    assert "Redis is not connected" in refused["message"], refused
    failed = asker.request({"type": "publish", "user": "bob", "data": "x", "receipt": True})
    assert failed["type"] == "error" and failed["code"] == "publish_failed", failed
    assert "not published" in failed["message"], failed
    # Redis comes back empty (no persistence): host2 writes bob again once its link is back.
    redis_server.start()

    def bob_is_back():
        reply = asker.request({"type": "presence", "users": ["bob"]})
        return reply["type"] == "presence" and reply["users"]["bob"] == {"sessions": 1, "hosts": 1}
    wait_for(bob_is_back, timeout=15, what="bob in the presence again")
    bob.close()


def test_a_receipt_still_waiting_when_the_daemon_stops_is_answered(redis_server, nodes):
    host1, host2 = _hosts(redis_server, nodes, "--receipt-window", "10s", "--drain-timeout", "200ms")
    publisher = RawApp(host1.app_socket, paths=())
    bob = connect(host2.url(user="bob"))
    wait_for(lambda: _presence(publisher, "bob") == {"bob": (1, 1)}, what="bob online")
    published = 'wsbridge_broker_messages_total{direction="out"}'
    before = host1.metrics().get(published, 0)
    os.kill(host2.process.pid, signal.SIGSTOP)
    try:
        publisher.send({"type": "publish", "id": 99, "user": "bob", "data": "x", "receipt": True})
        # Published (Redis took it); host2 cannot report.
        wait_for(lambda: host1.metrics().get(published, 0) > before, what="host1 to publish")
        host1.process.send_signal(signal.SIGTERM)
        reply = None
        deadline = time.monotonic() + 10
        while reply is None and time.monotonic() < deadline:
            frame = publisher.read()
            if frame.get("id") == 99:
                reply = frame
    finally:
        os.kill(host2.process.pid, signal.SIGCONT)
    assert reply is not None and reply["type"] == "ok", reply
    assert reply["receipt"]["unknown_hosts"] == 1 and reply["receipt"]["offline"] == [], reply
    assert host1.process.wait(timeout=15) == 0
    bob.close()
