"""The cluster harness works: creation, sharded pub/sub, CLIENT KILL, a failover, slot migrations.

Slots are those `CLUSTER KEYSLOT` gives (see Tests/WSBridgeBrokerTests/HashSlotTests.swift):
`{u:alice}:a` and `{u:alice}:b` are in 5797, `b` in 3300, `ch13` in 80.
"""

import time

import pytest

from resp_client import RespClient, RespError


def test_a_cluster_is_created_with_every_slot_served_and_replicas_in_sync(cluster):
    shards = cluster.shards()
    assert [first for first, _, _ in shards] == [0, 5461, 10923]
    assert [len(replicas) for _, _, replicas in shards] == [1, 1, 1]
    assert [cluster.slot_ranges(master) for _, master, _ in shards] == [[(0, 5460)], [(5461, 10922)], [(10923, 16383)]]
    assert len(cluster.live_nodes()) == 6
    assert cluster.is_healthy()
    assert cluster.created_in < 10, f"creation took {cluster.created_in:.2f} s"


def test_sharded_pubsub_reaches_the_slot_owners_subscribers(cluster):
    owner = cluster.master_for("{u:alice}:a")
    other = next(m for m in cluster.masters() if m is not owner)
    subscriber = RespClient(owner.port)
    subscriber.send("SSUBSCRIBE", "{u:alice}:a", "{u:alice}:b")  # one slot: one command
    assert subscriber.read() == [b"ssubscribe", b"{u:alice}:a", 1]
    assert subscriber.read() == [b"ssubscribe", b"{u:alice}:b", 2]

    assert cluster.cli(owner, "SPUBLISH", "{u:alice}:a", "hello") == "1"
    assert subscriber.read(timeout=5) == [b"smessage", b"{u:alice}:a", b"hello"]

    elsewhere = RespClient(other.port)
    assert elsewhere.call("SPUBLISH", "{u:alice}:a", "x") == RespError(f"MOVED 5797 127.0.0.1:{owner.port}")
    assert elsewhere.call("SSUBSCRIBE", "{u:alice}:a") == RespError(f"MOVED 5797 127.0.0.1:{owner.port}")
    assert RespClient(owner.port).call("SSUBSCRIBE", "{u:alice}:a", "b") == RespError(
        "CROSSSLOT Keys in request don't hash to the same slot")


def test_client_kill_pubsub_drops_both_kinds_of_subscriber_on_every_master(cluster):
    subscribers = []
    for master, channel in zip(cluster.masters(), ["b", "{u:alice}:a", "a"]):  # slots 3300, 5797, 15495
        classic = RespClient(master.port)
        assert classic.call("SUBSCRIBE", "websocket:sendMsgTopic")[0] == b"subscribe"
        sharded = RespClient(master.port)
        assert sharded.call("SSUBSCRIBE", channel)[0] == b"ssubscribe"
        subscribers += [classic, sharded]

    assert cluster.cli(cluster.masters()[0].port, "PUBSUB", "SHARDNUMSUB", "b") == "b\n1"
    killed = cluster.client_kill_pubsub()
    assert killed == {master.port: 2 for master in cluster.masters()}
    for subscriber in subscribers:
        with pytest.raises((EOFError, ConnectionResetError)):
            subscriber.read(timeout=5)


def test_a_killed_master_is_replaced_by_its_replica(cluster):
    first_slot, master, [replica] = cluster.shards()[1]
    on_master = RespClient(master.port)
    on_master.call("SSUBSCRIBE", "{u:alice}:a")
    on_replica = RespClient(replica.port)  # a replica takes SSUBSCRIBE too, and keeps it when promoted
    assert on_replica.call("SSUBSCRIBE", "{u:alice}:a") == [b"ssubscribe", b"{u:alice}:a", 1]

    cluster.kill_master(1)
    with pytest.raises((EOFError, ConnectionResetError)):
        on_master.read(timeout=5)
    new_master, seconds = cluster.wait_for_failover()
    print(f"failover: replica {new_master} serves the slots {seconds:.2f} s after the SIGKILL")
    assert new_master is replica
    assert seconds < 15

    assert replica.cli("SPUBLISH", "{u:alice}:a", "after") == "1"
    assert on_replica.read(timeout=5) == [b"smessage", b"{u:alice}:a", b"after"]

    cluster.restart(master)  # comes back as the new master's replica
    cluster.wait_until_healthy()
    assert master.role() == "slave"


def test_a_resharded_slot_pushes_sunsubscribe_and_takes_its_keys(cluster):
    source, target = cluster.masters()[0], cluster.masters()[2]
    assert source.cli("CLUSTER", "KEYSLOT", "ch13") == "80"
    assert source.cli("SET", "{ch13}:key", "kept") == "OK"
    subscriber = RespClient(source.port)
    subscriber.call("SSUBSCRIBE", "ch13")
    started = time.monotonic()
    cluster.reshard(source, target, 100)  # slots 0-99
    print(f"reshard of 100 slots: {time.monotonic() - started:.2f} s")

    assert subscriber.read(timeout=5) == [b"sunsubscribe", b"ch13", 0]
    assert cluster.slot_ranges(target)[0] == (0, 99)
    assert target.cli("GET", "{ch13}:key") == "kept"
    assert RespClient(source.port).call("SPUBLISH", "ch13", "x") == RespError(f"MOVED 80 127.0.0.1:{target.port}")


def test_move_slot_moves_exactly_one_slot(cluster):
    target = cluster.masters()[0]
    subscriber = RespClient(cluster.master_for("{u:alice}:a").port)
    subscriber.call("SSUBSCRIBE", "{u:alice}:a")
    cluster.move_slot(5797, target)
    assert subscriber.read(timeout=5) == [b"sunsubscribe", b"{u:alice}:a", 0]
    assert cluster.master_for("{u:alice}:a") is target
    assert (5797, 5797) in cluster.slot_ranges(target)
    assert cluster.master_for("{u:alice}") is target and cluster.master_for("wsb:u:42") is not target
