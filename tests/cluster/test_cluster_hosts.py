"""wsbridge hosts on a real Redis Cluster (3 masters, 3 replicas): every kind of publish reaches exactly
the sessions of its users, on every host; and under faults (the subscriptions killed on every node, a
master SIGKILLed and its replica promoted, slots resharded while messages flow) nothing the cluster
accepted on the durable path is lost without a gap, nothing arrives twice or out of order.
"""

import asyncio
import json
import struct
import subprocess
import time

import pytest
from websockets.sync.client import connect

from faultload import Client, GapListener, account, wait_until
from harness import RawApp, wait_for, wsbridge_binary

CHANNEL = "websocket:sendMsgTopic"


def durable(node):
    wait_for(lambda: node.metrics().get("wsbridge_broker_durable") == 1, timeout=20, what=f"{node.name} to be durable")


def cli_publish(seeds, *args):
    result = subprocess.run([wsbridge_binary(), "publish", "--redis-cluster", seeds, *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result
    return result.stdout.strip()


def nothing_more(*clients):
    for ws in clients:
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)


def test_every_kind_of_publish_reaches_exactly_its_users_on_every_host(cluster, hosts):
    host1 = hosts("host1", "--compat-user-field", "userId")
    host2 = hosts("host2", "--compat-user-field", "userId")
    host3 = hosts("host3", "--compat-user-field", "userId")
    for node in (host1, host2, host3):
        durable(node)
    assert host1.metrics()['wsbridge_broker_up{broker="redis-cluster"}'] == 1
    with connect(host1.url(user="alice")) as alice1, connect(host3.url(user="alice")) as alice3, \
            connect(host2.url(user="bob")) as bob, connect(host3.url(user="carol")) as carol:
        wait_for(lambda: all(n.metrics()["wsbridge_sessions"] >= 1 for n in (host1, host2, host3)), what="sessions")

        positions = cli_publish(hosts.seeds, "--user", "alice", "for alice")
        assert alice1.recv(timeout=5) == "for alice" and alice3.recv(timeout=5) == "for alice"
        assert len(positions.split(",")) == 1
        positions = cli_publish(hosts.seeds, "--users", "bob,carol,bob", "for bob and carol")
        assert bob.recv(timeout=5) == "for bob and carol" and carol.recv(timeout=5) == "for bob and carol"
        assert len(positions.split(",")) == 2, "one position per user, duplicates dropped"
        cli_publish(hosts.seeds, "--all", "for everyone")
        for ws in (alice1, alice3, bob, carol):
            assert ws.recv(timeout=5) == "for everyone"

        # An app on host2 publishes through its host: durable, on the masters of the users' slots.
        app = RawApp(host2.app_socket)
        reply = app.request({"type": "publish", "users": ["alice", "carol"], "data": {"n": 1}})
        assert reply["type"] == "ok" and len(reply["positions"].split(",")) == 2, reply
        assert alice1.recv(timeout=5) == '{"n": 1}' and alice3.recv(timeout=5) == '{"n": 1}'
        assert carol.recv(timeout=5) == '{"n": 1}'

        # A producer that never attaches: the cluster form of the function, on the key's master.
        key = "wsb:{u:bob}:m"
        master = cluster.master_for(key)
        reply = master.cli("FCALL", "wsbridge_publish", "1", key, json.dumps({"user": "bob", "data": "by FCALL"}))
        assert "-" in reply, reply
        assert bob.recv(timeout=5) == "by FCALL"
        wrong = master.cli("FCALL", "wsbridge_publish", "1", key, json.dumps({"user": "zed", "data": "x"}))
        assert "wrong_key" in wrong or "MOVED" in wrong or "CROSSSLOT" in wrong, wrong
        # The seed's publishers: a plain PUBLISH on any node, the user in the compatibility field.
        cluster.nodes[5].cli("PUBLISH", CHANNEL, json.dumps({"userId": "carol", "text": "seed style"}))
        assert json.loads(carol.recv(timeout=5)) == {"userId": "carol", "text": "seed style"}

        nothing_more(alice1, alice3, bob, carol)
    status = json.loads(subprocess.run([wsbridge_binary(), "status", "--app-socket", host1.app_socket, "--json"],
                                       capture_output=True, text=True, timeout=20, check=True).stdout)
    assert status["broker"]["kind"] == "redis-cluster" and status["broker"]["durable"], status["broker"]


# -- faults under load ----------------------------------------------------------------------------------

USERS = 24
RECOVERING_USERS = 6
ALL_EVERY = 20
RATE = 300
DURATION = 5.0
FAULT_AT = 1.5


class AppPublisher:
    """Publishes numbered messages through a host's app socket (so the cluster broker routes them) and
    records each outcome: accepted, failed (the host said it was not published) or unknown (the host said
    it may or may not have been)."""

    def __init__(self, path):
        self.path = path

    async def run(self, outcomes, started):
        reader, writer = await asyncio.open_unix_connection(self.path)

        async def request(message):
            body = json.dumps(message).encode()
            writer.write(struct.pack(">I", len(body)) + body)
            await writer.drain()
            while True:
                header = await reader.readexactly(4)
                reply = json.loads(await reader.readexactly(struct.unpack(">I", header)[0]))
                if reply.get("id") == message.get("id"):
                    return reply

        await request({"type": "hello", "protocol": 1, "name": "cluster-load", "paths": [], "id": 0})
        started.set()
        begin, seq = time.monotonic(), 0
        while time.monotonic() - begin < DURATION:
            seq += 1
            delay = begin + seq / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if seq % ALL_EVERY == 0:
                message = {"type": "publish", "all": True, "data": str(seq), "id": seq}
            else:
                message = {"type": "publish", "user": f"u{seq % USERS}", "data": str(seq), "id": seq}
            reply = await request(message)
            if reply["type"] == "ok":
                outcomes[seq] = "accepted"
            elif "may or may not" in reply.get("message", ""):
                outcomes[seq] = "unknown"
            else:
                outcomes[seq] = "failed"
        writer.close()
        return seq


async def under_load(cluster, host1, host2, fault):
    clients = [Client(host1.port if i % 2 else host2.port, f"u{i}", "plain") for i in range(USERS)]
    clients += [Client(host2.port if i % 2 else host1.port, f"u{i}", "wsbridge.v1") for i in range(RECOVERING_USERS)]
    listeners = [GapListener(host1.app_socket), GapListener(host2.app_socket)]
    for part in clients + listeners:
        part.start()
    await asyncio.wait_for(asyncio.gather(*(client.ready.wait() for client in clients)), 20)
    for node in (host1, host2):
        await wait_until(lambda: node.metrics().get("wsbridge_history_streams_tracked", 0) >= USERS // 2, 10)

    outcomes, started = {}, asyncio.Event()
    publisher = asyncio.ensure_future(AppPublisher(host1.app_socket).run(outcomes, started))
    await started.wait()
    await asyncio.sleep(FAULT_AT)
    loop = asyncio.get_running_loop()
    if fault == "client-kill-pubsub":
        killed = await loop.run_in_executor(None, lambda: cluster.client_kill_pubsub(replicas=True))
        assert sum(killed.values()) >= 2, f"the hosts' subscriptions were not found: {killed}"
    elif fault in ("master-sigkill", "master-sigkill-elsewhere"):
        masters = await loop.run_in_executor(None, cluster.masters)
        # The hosts subscribe on the first seed node (cluster.nodes[0]): kill it, or a master elsewhere.
        index = next(i for i, m in enumerate(masters) if (m is cluster.nodes[0]) == (fault == "master-sigkill"))
        await loop.run_in_executor(None, lambda: cluster.kill_master(index))
        await loop.run_in_executor(None, cluster.wait_for_failover)
    elif fault == "reshard":
        masters = await loop.run_in_executor(None, cluster.masters)
        await loop.run_in_executor(None, lambda: cluster.reshard(masters[0], masters[1], 2000))
    published = await publisher

    class Merged:
        gaps = listeners[0].gaps + listeners[1].gaps

    def complete():
        totals = account(outcomes, clients, Merged, USERS, ALL_EVERY)
        return totals["lost"] == 0 and totals["delivered"] + totals["lost_reported"] >= totals["expected"]

    await wait_until(complete, 10)
    await asyncio.sleep(0.3)  # anything late, or twice, has time to show
    Merged.gaps = listeners[0].gaps + listeners[1].gaps
    totals = account(outcomes, clients, Merged, USERS, ALL_EVERY)
    for part in clients + listeners:
        part.task.cancel()
    totals.update(published=published, accepted=sum(1 for o in outcomes.values() if o == "accepted"),
                  failed=sum(1 for o in outcomes.values() if o == "failed"),
                  unknown=sum(1 for o in outcomes.values() if o == "unknown"))
    return totals


@pytest.mark.parametrize("routing", ["channel", "per-user"])
@pytest.mark.parametrize("fault", ["client-kill-pubsub", "master-sigkill", "master-sigkill-elsewhere", "reshard"])
def test_a_cluster_fault_under_load_loses_nothing_durable(cluster, hosts, fault, routing):
    flags = ["--broker-probe-interval", "1s", "--broker-health-interval", "1s", "--routing", routing]
    host1 = hosts("host1", *flags)
    host2 = hosts("host2", *flags)
    durable(host1)
    durable(host2)
    totals = asyncio.run(under_load(cluster, host1, host2, fault))
    print(f"\n{fault}, routing {routing}: {totals}")
    assert totals["unexpected"] == 0, totals
    assert totals["accepted"] > RATE * DURATION * 0.3, f"the publisher hardly got through: {totals}"
    assert totals["lost"] == 0, f"messages the cluster accepted were lost without a gap: {totals}"
    assert totals["duplicates"] == 0, totals
    assert totals["reordered"] == 0, totals
    if not fault.startswith("master-sigkill"):
        assert totals["failed"] == 0 and totals["unknown"] == 0, f"nothing needed to fail: {totals}"
        assert totals["lost_reported"] == 0, totals


def test_presence_and_receipts_work_across_hosts_on_the_cluster(cluster, hosts):
    fast = ["--presence-ttl", "2s", "--presence-heartbeat-interval", "300ms"]
    host1, host2 = hosts("host1", *fast), hosts("host2", *fast)
    durable(host1)
    durable(host2)
    app = RawApp(host1.app_socket)
    with connect(host1.url(user="alice")) as alice, connect(host2.url(user="bob")) as bob, \
            connect(host2.url(user="alice")) as alice2:

        def presence():
            reply = app.request({"type": "presence", "users": ["alice", "bob", "carol"]})
            return {user: (entry["sessions"], entry["hosts"]) for user, entry in reply["users"].items()}

        wait_for(lambda: presence() == {"alice": (2, 2), "bob": (1, 1), "carol": (0, 0)}, timeout=10,
                 what="presence of both hosts, written in the {presence} slot")
        # A receipt for users on several slots (one publish per user on the cluster) counts every session.
        reply = app.request({"type": "publish", "users": ["alice", "bob", "carol"], "data": "hello", "receipt": True})
        assert reply["type"] == "ok", reply
        receipt = reply["receipt"]
        assert (receipt["sessions"], receipt["hosts"], receipt["unknown_hosts"]) == (3, 2, 0), receipt
        assert receipt["offline"] == ["carol"], receipt
        assert alice.recv(timeout=5) == "hello" and alice2.recv(timeout=5) == "hello" and bob.recv(timeout=5) == "hello"
        nothing_more(alice, alice2, bob)


def test_with_per_user_routing_a_host_receives_only_its_users_messages_from_their_masters(cluster, hosts):
    host1 = hosts("host1", "--routing", "per-user")
    host2 = hosts("host2", "--routing", "per-user")
    durable(host1)
    durable(host2)
    users = [f"p{i}" for i in range(12)]  # spread over the three masters' slots
    with connect(host1.url(user=users[0])) as first:
        sockets = [connect(host2.url(user=user)) for user in users[1:]]
        try:
            def sharded_subscriptions():
                return sum(len(node.cli("PUBSUB", "SHARDCHANNELS").split()) for node in cluster.masters())
            wait_for(lambda: sharded_subscriptions() == len(users), what="each user's channel subscribed on its master")
            assert host1.metrics()["wsbridge_broker_user_channels"] == 1
            assert host2.metrics()["wsbridge_broker_user_channels"] == len(users) - 1
            assert host2.metrics()["wsbridge_broker_user_subscription_commands_total"] >= 3, "one per slot at least"
            before = host1.metrics().get('wsbridge_broker_messages_total{direction="in"}', 0)
            app = RawApp(host2.app_socket)
            for user in users[1:]:
                assert app.request({"type": "publish", "user": user, "data": f"to {user}"})["type"] == "ok"
            for user, ws in zip(users[1:], sockets):
                assert ws.recv(timeout=5) == f"to {user}"
            assert host1.metrics().get('wsbridge_broker_messages_total{direction="in"}', 0) == before, \
                "host1 holds none of them: it received none of their messages"
            assert app.request({"type": "publish", "user": users[0], "data": "to the first"})["type"] == "ok"
            assert first.recv(timeout=5) == "to the first"
            assert app.request({"type": "publish", "all": True, "data": "everyone"})["type"] == "ok"
            assert first.recv(timeout=5) == "everyone" and all(ws.recv(timeout=5) == "everyone" for ws in sockets)
        finally:
            for ws in sockets:
                ws.close()
    wait_for(lambda: sharded_subscriptions() == 0, what="the last sessions gone: unsubscribed everywhere")
    assert host2.metrics()["wsbridge_broker_user_channels"] == 0
