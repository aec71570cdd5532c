"""Measures the timings docs/scaling.md quotes ("Redis Cluster: facts measured") on local clusters.

    python3 tests/cluster/cluster_facts.py [--runs N]

Not a test: it prints what it measured. Each run creates a 3-master, 3-replica cluster on free loopback
ports (cluster_harness.RedisCluster) and removes it afterwards.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_harness import RedisCluster, wait_for  # noqa: E402
from resp_client import RespClient, RespError  # noqa: E402


def fresh_cluster(node_timeout_ms=1000):
    workdir = tempfile.mkdtemp(prefix="wsbridge-facts-")
    cluster = RedisCluster(workdir, node_timeout_ms=node_timeout_ms).start()
    return cluster, workdir


def done(cluster, workdir):
    cluster.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def failover(node_timeout_ms):
    """Seconds from the SIGKILL of a master until its replica serves its slots, and the window in which
    FCALL with a key (on another master) answered CLUSTERDOWN while SSUBSCRIBE there was still taken."""
    cluster, workdir = fresh_cluster(node_timeout_ms)
    try:
        other = cluster.masters()[2]
        other.cli("FUNCTION", "LOAD", "#!lua name=t\nredis.register_function('setk', "
                  "function(keys, args) return redis.call('SET', keys[1], args[1]) end)")
        probe = RespClient(other.port)
        cluster.kill_master(0)
        down_from = down_until = None
        sharded_refused = False

        def promoted_and_up():
            nonlocal down_from, down_until, sharded_refused
            now = time.monotonic() - cluster.killed_at
            reply = probe.call("FCALL", "setk", 1, "a", "v")  # "a" is in slot 15495: this master's
            if isinstance(reply, RespError) and reply.startswith("CLUSTERDOWN"):
                down_from = down_from if down_from is not None else now
                down_until = now
                subscriber = RespClient(other.port)
                sharded_refused |= isinstance(subscriber.call("SSUBSCRIBE", "a"), RespError)
                subscriber.close()
            return down_from is not None and not isinstance(reply, RespError)

        wait_for(promoted_and_up, timeout=30, interval=0.01, what="FCALL to be taken again")
        _, seconds = cluster.wait_for_failover()
        return seconds, down_from, down_until, sharded_refused
    finally:
        done(cluster, workdir)


def reshard_push():
    """Milliseconds from the end of `redis-cli --cluster reshard` (100 slots) to the sunsubscribe push,
    and the duration of the reshard."""
    cluster, workdir = fresh_cluster()
    try:
        source, target = cluster.masters()[0], cluster.masters()[2]
        subscriber = RespClient(source.port)
        subscriber.call("SSUBSCRIBE", "ch13")  # slot 80: among the first 100 of the source
        started = time.monotonic()
        cluster.reshard(source, target, 100)
        resharded = time.monotonic()
        push = subscriber.read(timeout=5)
        assert push[0] == b"sunsubscribe", push
        return resharded - started
    finally:
        done(cluster, workdir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(os.popen("redis-server --version").read().strip())

    created = []
    for _ in range(runs):
        cluster, workdir = fresh_cluster()
        created.append(cluster.created_in)
        done(cluster, workdir)
    print("creation (start 6 nodes, --cluster create, all ok, replicas in sync): "
          + ", ".join(f"{s:.2f} s" for s in created))

    for timeout in (500, 1000, 2000):
        for _ in range(runs):
            seconds, down_from, down_until, sharded_refused = failover(timeout)
            print(f"cluster-node-timeout {timeout} ms: replica serves the slots {seconds:.2f} s after SIGKILL; "
                  f"FCALL on another master CLUSTERDOWN from {down_from:.2f} s to {down_until:.2f} s; "
                  f"SSUBSCRIBE there refused meanwhile: {sharded_refused}")

    for _ in range(runs):
        print(f"redis-cli --cluster reshard of 100 slots (no keys): {reshard_push():.2f} s; "
              "the subscriber had its sunsubscribe push by the time it returned")


if __name__ == "__main__":
    main()
