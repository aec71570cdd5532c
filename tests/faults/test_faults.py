"""Redis faults under load, with every message counted (docs/reliability.md).

Each scenario: a real redis-server, one wsbridge node, 40 users with a plain WebSocket client each
and 10 of them with a `wsbridge.v1` client too, an app on the app socket listening for gaps, and a
publisher sending 400 numbered messages a second for 5 seconds (one in 20 to everyone), durably
(`FCALL wsbridge_publish`) or best effort (`PUBLISH`). 1.5 seconds in, the fault: the subscription
killed (`CLIENT KILL TYPE pubsub`), Redis killed with SIGKILL and restarted after 2 seconds (without
persistence, and with an append-only file fsynced on every write), Redis paused for 2 seconds
(`CLIENT PAUSE ALL`), Redis frozen with SIGSTOP for 3 seconds.

On the durable path nothing Redis accepted may be lost unless its stream was reported as a gap, and
nothing may arrive twice or out of order. On the best-effort path the losses are counted, not
judged. Every scenario's figures go to a table (FAULTS_REPORT, default /tmp/wsbridge-faults.md),
the one docs/reliability.md shows.
"""

import asyncio
import datetime
import json
import os
import signal
import time

import pytest

from faultload import Client, GapListener, Resp, account, http_status, publish, wait_until
from harness import Node, RedisServer

USERS = 40
RECOVERING_USERS = 10
ALL_EVERY = 20
RATE = 400
DURATION = 5.0
FAULT_AT = 1.5

RESULTS = []


@pytest.fixture(scope="session", autouse=True)
def report():
    yield
    if not RESULTS:
        return
    header = ("| path | fault | published | accepted | failed | unknown | deliveries expected | delivered | lost "
              "| lost, reported as gap | duplicates | reordered | gaps reported | resubscribed after |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for r in RESULTS:
        resubscribe = f"{r['resubscribe_ms']:.0f} ms" if r["resubscribe_ms"] is not None else "—"
        rows.append(f"| {r['path']} | {r['fault']} | {r['published']} | {r['accepted']} | {r['failed']} | {r['unknown']} "
                    f"| {r['expected']} | {r['delivered']} | {r['lost']} | {r['lost_reported']} | {r['duplicates']} "
                    f"| {r['reordered']} | {r['gaps_reported']} | {resubscribe} |")
    text = header + "\n".join(rows) + "\n"
    path = os.environ.get("FAULTS_REPORT", "/tmp/wsbridge-faults.md")
    with open(path, "w") as f:
        f.write(text)
    print("\n" + text)


def _log_time(entry):
    return datetime.datetime.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def relinked_after(node, since):
    """When the node logged "broker linked" after the wall-clock time `since` (None if it did not)."""
    for entry in node.log_entries():
        if entry.get("msg") == "broker linked" and _log_time(entry) >= since - 0.002:
            return _log_time(entry)
    return None


async def answers_ping(port):
    try:
        connection = await Resp.connect(port, timeout=0.2)
        reply = await connection.call("PING", timeout=0.2)
        connection.close()
        return reply == "PONG"
    except Exception:
        return False


async def until_redis_answers(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await answers_ping(port):
            return time.time()
        await asyncio.sleep(0.005)
    raise AssertionError("Redis did not come back")


async def inject(fault, redis):
    """Performs the fault; returns the wall-clock time from which the subscription should come back."""
    loop = asyncio.get_running_loop()
    if fault == "client-kill":
        killed = time.time()
        await loop.run_in_executor(None, redis.cli, "CLIENT", "KILL", "TYPE", "pubsub")
        return killed
    if fault in ("sigkill-restart", "sigkill-restart-aof"):
        redis.kill()
        await asyncio.sleep(2)
        redis.start(wait=False)
        return await until_redis_answers(redis.port)
    if fault == "client-pause":
        await loop.run_in_executor(None, redis.cli, "CLIENT", "PAUSE", "2000", "ALL")
        await asyncio.sleep(2)
        return time.time()
    if fault == "sigstop":
        redis.freeze()
        await asyncio.sleep(3)
        redis.thaw()
        return time.time()
    raise ValueError(fault)


async def scenario(node, redis, durable, fault):
    clients = [Client(node.port, f"u{i}", "plain") for i in range(USERS)]
    clients += [Client(node.port, f"u{i}", "wsbridge.v1") for i in range(RECOVERING_USERS)]
    listener = GapListener(node.app_socket)
    listener.start()
    for client in clients:
        client.start()
    await asyncio.wait_for(asyncio.gather(*(client.ready.wait() for client in clients)), 20)
    # The node reads each new user's position before the first fault can matter.
    await wait_until(lambda: node.metrics().get("wsbridge_history_streams_tracked", 0) >= USERS + 1, 10)

    outcomes = {}
    started = asyncio.Event()
    publisher = asyncio.ensure_future(publish(redis.port, durable, RATE, DURATION, USERS, ALL_EVERY, outcomes, started))
    await started.wait()
    await asyncio.sleep(FAULT_AT)
    fault_began = time.time()
    back_at = await inject(fault, redis)
    published = await publisher

    def complete():
        totals = account(outcomes, clients, listener, USERS, ALL_EVERY)
        return totals["lost"] == 0 and totals["delivered"] + totals["lost_reported"] >= totals["expected"]

    await wait_until(complete, 8)
    await asyncio.sleep(0.3)  # anything late, or twice, has time to show
    totals = account(outcomes, clients, listener, USERS, ALL_EVERY)
    totals["recovering_clients_told_of_both_streams"] = sum(
        1 for c in clients if c.kind == "wsbridge.v1" and {stream for stream, _ in c.gaps} == {"user", "all"})
    for client in clients:
        client.task.cancel()
    listener.task.cancel()
    relinked = relinked_after(node, fault_began)
    totals.update(
        published=published,
        accepted=sum(1 for o in outcomes.values() if o == "accepted"),
        failed=sum(1 for o in outcomes.values() if o == "failed"),
        unknown=sum(1 for o in outcomes.values() if o == "unknown"),
        resubscribe_ms=(relinked - back_at) * 1000 if relinked else None,
    )
    return totals


FAULTS = ["client-kill", "sigkill-restart", "sigkill-restart-aof", "client-pause", "sigstop"]


@pytest.mark.parametrize("durable", [True, False], ids=["durable", "best-effort"])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_under_load(tmp_path, fault, durable):
    run_scenario(tmp_path, fault, durable, routing="channel")


@pytest.mark.parametrize("fault", ["client-kill", "sigkill-restart-aof", "sigstop"])
def test_a_fault_under_load_with_per_user_routing(tmp_path, fault):
    """The durable path with `routing = per-user`: each user's messages on its sharded channel."""
    run_scenario(tmp_path, fault, True, routing="per-user")


def run_scenario(tmp_path, fault, durable, routing):
    redis = RedisServer(str(tmp_path), persistence=(fault == "sigkill-restart-aof"))
    redis.start()
    node = Node(str(tmp_path), "node", ["--redis", redis.url, "--auth", "insecure-query", "--event-loops", "2",
                                         "--broker-health-interval", "1s", "--broker-probe-interval", "1s",
                                         "--routing", routing])
    try:
        totals = asyncio.run(scenario(node, redis, durable, fault))
    finally:
        node.stop()
        if redis.process is not None:
            redis.thaw()
        redis.stop()
    path = "FCALL (durable)" if durable else "PUBLISH (best effort)"
    if routing != "channel":
        path += f", routing {routing}"
    RESULTS.append(dict(totals, path=path, fault=fault))
    assert totals["unexpected"] == 0, totals
    assert totals["accepted"] > RATE * DURATION * 0.3, f"the publisher hardly got through: {totals}"
    if fault in ("sigkill-restart", "sigkill-restart-aof", "sigstop"):
        assert totals["resubscribe_ms"] is not None, "the node never logged a relink"
        # The goal is 300 ms (docs/reliability.md has the measured figures); seconds would be the old backoff.
        assert totals["resubscribe_ms"] < 1000, totals
    if not durable:
        return
    assert totals["lost"] == 0, f"messages Redis accepted were lost without a gap: {totals}"
    assert totals["duplicates"] == 0, totals
    assert totals["reordered"] == 0, totals
    if fault != "sigkill-restart":
        assert totals["lost_reported"] == 0, f"nothing may be lost where Redis keeps its data: {totals}"
    else:
        # Redis lost everything: every stream starts a new epoch, and every wsbridge.v1 client, on
        # whichever event loop it is, is told so for both of its streams.
        assert totals["recovering_clients_told_of_both_streams"] == RECOVERING_USERS, totals
