#!/usr/bin/env python3
"""CPU per user-addressed message as the number of wsbridge hosts grows (docs/scaling.md, "Measured: CPU
per message as hosts grow").

    bench/scaling.py [--redis single|cluster] [--routing channel|per-user] [--hosts 1,2,4,8,16]
                     [--users 1000] [--rate 1000] [--seconds 5] [--runs 3] [--out FILE.json]
                     [--seeds same|rotate] [--wait-quiet CORES] [--keep-logs]

For each N in --hosts, RUNS times (run 1 of every N, then run 2, ...; every other run in reverse order, as
bench/run.sh interleaves its targets), with fresh processes every time:

1. starts Redis: one redis-server (--redis single), or a 3-master, 3-replica Redis Cluster
   (--redis cluster, tests/cluster/cluster_harness.py's RedisCluster);
2. starts N `wsbridge serve` hosts (`--redis URL`, or `--redis-cluster SEEDS`: three nodes, the same
   list for every host, so that all subscribe on its first node, or with --seeds rotate starting at node
   i mod 6; `--auth insecure-query`, every listener on 127.0.0.1 port 0, the bound address read from the
   "listening" log line), and `--routing per-user` when asked: a build without that routing exits at start, which is reported as
   "not supported by this build" (exit status 3);
3. connects USERS users spread evenly over the hosts (user i on host i mod N), one plain WebSocket each
   (no subprotocol, no compression), and waits until every host's /metrics says wsbridge_sessions is
   its share, wsbridge_broker_up is 1 (subscribed) and wsbridge_broker_durable is 1;
4. measures the background: the CPU of every Redis process and host over --idle-seconds with nothing
   published (presence heartbeats, liveness probes, the cluster bus);
5. warms up: one message to every user (so every user's stream exists in Redis), all delivered;
6. publishes RATE x SECONDS messages to random users (seeded), ~100 bytes of data each, durably:
   `FCALL wsbridge_publish 0 ENVELOPE` on a single Redis, `FCALL wsbridge_publish 1 wsb:{u:USER}:m
   ENVELOPE` on the master of that key's slot on a cluster (CRC16/XMODEM with the {hashtag} rule,
   checked against CLUSTER KEYSLOT; MOVED and ASK followed). The publisher is a separate Python process
   that writes every message due at start + i/RATE in one pipelined write per connection;
7. waits until the clients received every message (each exactly once, at the user it was addressed to:
   anything else is reported, and the run counts as incomplete), then reads the CPU again.

With --wait-quiet CORES each run first waits (at most --wait-quiet-max seconds) until the machine's busy
cores, sampled over 2 s while none of the run's processes exist yet, are below CORES: on a shared
machine, until the other tenants are quiet. The wait and the level are in the JSON.

CPU is utime + stime of /proc/PID/stat (all threads of the process), read just before the first
measured publish and just after the last delivery. It is CPU time, not wall time: the machine may be
shared and nothing is pinned (the figures of a busy host are higher than a quiet one's, but they do not
measure waiting). /proc counts in clock ticks (10 ms): with 5,000 messages a tick is 2 us per message
and per process. The load (this script's clients and publisher) is not measured.

Prints one line per run, then a markdown table of the medians over the runs (also written to
--markdown, default: --out with .md); --out FILE writes every run and the medians as JSON. The table's
columns, each the median of its own: Redis (every redis-server process: on a cluster masters and
replicas) and hosts (the sum over the N hosts) CPU per measured message, their total, the hosts' mean
per host, the total against N = 1, "idle CPU" (Redis and hosts together, per second, with nothing
published), the deliveries that arrived exactly once, the 1-minute load average before the run (it
includes this benchmark's previous run), and "others' cores": the cores the rest of the machine kept
busy during the window (all CPUs' busy time from /proc/stat minus Redis, the hosts, the clients and the
publisher): on a shared machine, the other tenants.
Only 127.0.0.1 is used; every process started here is remembered by PID and ended by PID.
"""

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import catchup  # noqa: E402  (bench/catchup.py: a node's /metrics as a dict)
from cluster_harness import free_port, wait_for  # noqa: E402

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
SLOTS = 16384
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


class Unsupported(Exception):
    """The build refused the routing asked for (the hosts exited at start)."""


# ---------------------------------------------------------------------------------------------- helpers

def cpu_seconds(pid):
    """utime + stime of every thread of process `pid` (fields 14 and 15 of /proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def machine_cpu():
    """The first line of /proc/stat: (busy, steal, total) jiffies of all CPUs."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait - steal, steal, total


def load_average():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def crc16_xmodem(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def key_slot(key):
    """The Redis Cluster slot of `key`: CRC16/XMODEM mod 16384 of the part between the first { and the
    first } after it, if that part is not empty, else of the whole key."""
    raw = key.encode()
    start = raw.find(b"{")
    if start >= 0:
        end = raw.find(b"}", start + 1)
        if end > start + 1:
            raw = raw[start + 1:end]
    return crc16_xmodem(raw) % SLOTS


def stream_key(user):
    return "wsb:{u:" + user + "}:m"


def resp_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RespError(str):
    pass


def parse_resp(buffer, offset=0):
    """One reply from `buffer` at `offset`: (value, next offset), or None if it is not complete yet."""
    end = buffer.find(b"\r\n", offset)
    if end < 0:
        return None
    kind, line = buffer[offset:offset + 1], bytes(buffer[offset + 1:end])
    after = end + 2
    if kind == b"+":
        return line.decode(), after
    if kind == b"-":
        return RespError(line.decode()), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return None
        return bytes(buffer[after:after + size]), after + size + 2
    if kind == b"*":
        size = int(line)
        items = []
        for _ in range(max(size, 0)):
            parsed = parse_resp(buffer, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        return (items if size >= 0 else None), after
    raise ValueError(f"not RESP: {bytes(buffer[offset:offset + 40])!r}")


def resp_call(port, *args, timeout=5.0):
    """One command on a fresh connection to 127.0.0.1:port; its reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(resp_command(*args))
        buffer = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            parsed = parse_resp(buffer) if buffer else None
            if parsed is not None:
                return parsed[0]
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            buffer += chunk
    raise TimeoutError(f"no reply from 127.0.0.1:{port}")


def payload(seq, user):
    """About 100 bytes: the sequence number and the user (what the client checks), then words drawn with
    a generator seeded by the sequence number, so that no two messages are alike."""
    rng = random.Random(seq)
    text = f"{seq:09d} {user} "
    while len(text) < 100:
        text += rng.choice(WORDS) + " "
    return text[:100]


def envelope(seq, user):
    return json.dumps({"user": user, "data": payload(seq, user)}, separators=(",", ":")).encode()


# ------------------------------------------------------------------------------------------- processes

class Process:
    """A process started here: remembered by PID, ended by PID (SIGTERM, then SIGKILL after `grace`)."""

    def __init__(self, name, role, args, log_path):
        self.name, self.role = name, role
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.popen = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.pid = self.popen.pid

    @property
    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=20):
        if self.alive:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.log.close()

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


class SingleRedis:
    def __init__(self, workdir):
        self.port = free_port()
        self.process = Process("redis", "single", [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", workdir], os.path.join(workdir, "redis.log"))
        wait_for(lambda: self._ping(), timeout=10, what="redis-server to answer PING")

    def _ping(self):
        if not self.process.alive:
            raise RuntimeError(f"redis-server exited:\n{self.process.text()}")
        try:
            return resp_call(self.port, "PING", timeout=1) == "PONG"
        except OSError:
            return False

    def host_args(self, index, rotate):
        return ["--redis", f"redis://127.0.0.1:{self.port}"]

    def processes(self):
        """[(name, role, pid)] of every Redis process."""
        return [("redis", "single", self.process.pid)]

    def stop(self):
        self.process.stop()


class ClusterRedis:
    """tests/cluster/cluster_harness.py's RedisCluster: 3 masters, 3 replicas."""

    def __init__(self, workdir):
        from cluster_harness import RedisCluster
        self.cluster = RedisCluster(workdir).start()
        try:
            self.roles = {node.port: "master" if node.role() == "master" else "replica" for node in self.cluster.nodes}
        except BaseException:
            self.cluster.stop()
            raise

    def host_args(self, index, rotate):
        """Three seed nodes. A host subscribes on its first seed, so with the same list every host
        subscribes on one node; `rotate` starts host i's list at node i mod 6 (masters and replicas)."""
        nodes = self.cluster.nodes
        first = index % len(nodes) if rotate else 0
        seeds = ",".join(f"redis://{nodes[(first + k) % len(nodes)].address}" for k in range(3))
        return ["--redis-cluster", seeds]

    def seed_port(self):
        return self.cluster.nodes[0].port

    def processes(self):
        return [(f"redis:{node.port}", self.roles[node.port], node.process.pid)
                for node in self.cluster.nodes if node.alive]

    def stop(self):
        self.cluster.stop()


class Host:
    """One `wsbridge serve`, started without waiting: wait_listening() reads its addresses from its log."""

    def __init__(self, binary, workdir, name, broker_args, routing):
        self.name = name
        self.routing = routing
        args = [binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--auth", "insecure-query", "--node-id", name, "--log-format", "json",
                "--app-socket", os.path.join(workdir, f"{name}.sock")] + broker_args
        if routing != "channel":  # channel routing is what a build without the key does
            args += ["--routing", routing]
        self.process = Process(name, "host", args, os.path.join(workdir, f"{name}.log"))
        self.pid = self.process.pid
        self.address = self.admin_address = None

    def _listening(self):
        found = {}
        for raw in self.process.text().splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if entry.get("msg") == "listening":
                found[entry.get("wsb.listener")] = entry.get("wsb.address")
        if "websocket" in found:
            return found
        if not self.process.alive:
            text = self.process.text()
            if self.routing != "channel" and "routing" in text:
                first = next((line for line in text.splitlines() if "routing" in line), text.strip())
                raise Unsupported(f"{self.name} exited at start ({self.process.popen.returncode}): {first.strip()}")
            raise RuntimeError(f"{self.name} exited with {self.process.popen.returncode}:\n{text[-3000:]}")
        return None

    def wait_listening(self, timeout=30):
        found = wait_for(self._listening, timeout=timeout, what=f"{self.name} to log 'listening'")
        self.address, self.admin_address = found["websocket"], found.get("admin")

    def metrics(self):
        return catchup.metrics(self.admin_address)

    def stop(self):
        self.process.stop()


# ------------------------------------------------------------------------------------------- publisher

class Link:
    """A pipelined RESP connection to one Redis node, with the messages whose replies are due, in order."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.out = bytearray()
        self.buffer = bytearray()
        self.pending = collections.deque()  # (kind, seq, user, redirects): kind "call" or "asking"

    def flush(self):
        if self.out:
            self.sock.sendall(self.out)
            self.out.clear()


def publisher_main(pipe, mode, seed_port, rate):
    """The publisher process: connects, then for each ("publish", [(seq, user)...]) from the pipe publishes
    them paced at `rate` and answers with what happened; ("stop",) ends it."""
    links = {}

    def link(port):
        if port not in links:
            links[port] = Link(port)
        return links[port]

    slot_owner = [seed_port] * SLOTS
    if mode == "cluster":
        for entry in resp_call(seed_port, "CLUSTER", "SLOTS"):
            first, last, master = entry[0], entry[1], entry[2]
            if master[0] not in (b"127.0.0.1", b""):
                raise SystemExit(f"cluster node not on loopback: {master!r}")
            for slot in range(first, last + 1):
                slot_owner[slot] = master[1]
        for user in ("u0", "u1", "alice"):  # the slot rule, checked against the server's
            asked = resp_call(seed_port, "CLUSTER", "KEYSLOT", stream_key(user))
            if asked != key_slot(stream_key(user)):
                raise SystemExit(f"slot of {stream_key(user)}: Redis says {asked}, we say {key_slot(stream_key(user))}")
        for port in sorted(set(slot_owner)):
            link(port)
    else:
        link(seed_port)

    def send(seq, user, redirects=0, port=None, asking=False):
        if mode == "cluster":
            key = stream_key(user)
            target = link(port if port is not None else slot_owner[key_slot(key)])
            if asking:
                target.out += resp_command("ASKING")
                target.pending.append(("asking", seq, user, redirects))
            target.out += resp_command("FCALL", "wsbridge_publish", 1, key, envelope(seq, user))
        else:
            target = link(seed_port)
            target.out += resp_command("FCALL", "wsbridge_publish", 0, envelope(seq, user))
        target.pending.append(("call", seq, user, redirects))
        return target

    def publish(plan):
        stats = {"messages": len(plan), "ok": 0, "failed": 0, "errors": [], "moved": 0, "asked": 0,
                 "largest_batch": 0, "timed_out": False}
        start = time.monotonic()
        stats["first_send"] = start
        deadline = start + len(plan) / rate + 60
        sent = 0

        def outstanding():
            return sum(len(link.pending) for link in links.values())

        while sent < len(plan) or outstanding():
            now = time.monotonic()
            if now > deadline:
                stats["timed_out"] = True
                break
            due = min(len(plan), int((now - start) * rate) + 1)
            if due > sent:
                stats["largest_batch"] = max(stats["largest_batch"], due - sent)
                for seq, user in plan[sent:due]:
                    send(seq, user)
                sent = due
                stats["last_send"] = time.monotonic()
                for each in list(links.values()):
                    each.flush()
            wait = (start + sent / rate) - time.monotonic() if sent < len(plan) else 0.05
            socks = {each.sock: each for each in links.values()}
            readable, _, _ = select.select(list(socks), [], [], max(0.0, min(wait, 0.05)))
            for sock in readable:
                each = socks[sock]
                chunk = sock.recv(1 << 16)
                if not chunk:
                    raise SystemExit(f"Redis at port {each.port} closed the connection")
                each.buffer += chunk
                offset = 0
                while True:
                    parsed = parse_resp(each.buffer, offset)
                    if parsed is None:
                        break
                    reply, offset = parsed
                    kind, seq, user, redirects = each.pending.popleft()
                    if kind == "asking":
                        continue
                    if isinstance(reply, RespError):
                        words = reply.split()
                        if words[0] in ("MOVED", "ASK") and redirects < 5 and words[2].startswith("127.0.0.1:"):
                            port = int(words[2].rsplit(":", 1)[1])
                            if words[0] == "MOVED":
                                stats["moved"] += 1
                                slot_owner[int(words[1])] = port
                                send(seq, user, redirects + 1)
                            else:
                                stats["asked"] += 1
                                send(seq, user, redirects + 1, port=port, asking=True)
                            continue
                        stats["failed"] += 1
                        if len(stats["errors"]) < 5:
                            stats["errors"].append(str(reply))
                    else:
                        stats["ok"] += 1
                del each.buffer[:offset]
            for each in list(links.values()):
                each.flush()  # redirected calls
        stats["last_reply"] = time.monotonic()
        stats["sent"] = sent
        return stats

    pipe.send(("ready", os.getpid()))
    for _ in range(1000):  # bounded: a few commands per run
        command = pipe.recv()
        if command[0] == "stop":
            break
        pipe.send(("done", publish(command[1])))
    for each in links.values():
        each.sock.close()


# --------------------------------------------------------------------------------------------- clients

class Clients:
    """USERS plain WebSocket clients; counts every delivery by the sequence number in its payload."""

    def __init__(self):
        self.received = collections.Counter()
        self.wrong_user = 0
        self.unparsed = 0
        self.closed = 0
        self.connections = []
        self.tasks = []

    async def connect(self, hosts, users, concurrency=64):
        import websockets
        gate = asyncio.Semaphore(concurrency)

        async def one(index):
            user = f"u{index}"
            host = hosts[index % len(hosts)]
            async with gate:
                ws = await websockets.connect(f"ws://{host.address}/ws?user={user}", open_timeout=15,
                                              compression=None, proxy=None, ping_interval=None, max_queue=None)
            self.connections.append(ws)
            self.tasks.append(asyncio.ensure_future(self.read(ws, user)))

        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(users))), timeout=120)

    async def read(self, ws, user):
        import websockets
        try:
            async for message in ws:
                parts = message.split(" ", 2) if isinstance(message, str) else []
                if len(parts) < 2 or not parts[0].isdigit():
                    self.unparsed += 1
                    continue
                if parts[1] != user:
                    self.wrong_user += 1
                self.received[int(parts[0])] += 1
        except websockets.ConnectionClosed:
            pass
        self.closed += 1

    def tally(self, seqs):
        """(delivered once, missing, duplicated) over the sequence numbers `seqs`."""
        once = missing = duplicated = 0
        for seq in seqs:
            count = self.received.get(seq, 0)
            if count == 0:
                missing += 1
            elif count == 1:
                once += 1
            else:
                duplicated += 1
        return once, missing, duplicated

    async def wait_delivered(self, seqs, drain_timeout):
        """Until every seq arrived, or nothing new arrived for drain_timeout seconds (bounded either way)."""
        last_count, last_progress = -1, time.monotonic()
        for _ in range(100_000):
            count = sum(1 for seq in seqs if seq in self.received)
            if count == len(seqs):
                return True
            if count != last_count:
                last_count, last_progress = count, time.monotonic()
            elif time.monotonic() - last_progress > drain_timeout:
                return False
            await asyncio.sleep(0.01)
        return False

    async def close(self):
        async def one(ws):
            try:
                await asyncio.wait_for(ws.close(), timeout=5)
            except (asyncio.TimeoutError, OSError):
                ws.transport.abort()
        await asyncio.gather(*(one(ws) for ws in self.connections), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# ------------------------------------------------------------------------------------------------- run

def cpu_of(processes):
    return {name: cpu_seconds(pid) for name, _, pid in processes}


async def wait_hosts_ready(hosts, users, timeout=60):
    deadline = time.monotonic() + timeout
    shares = [len(range(i, users, len(hosts))) for i in range(len(hosts))]
    while time.monotonic() < deadline:
        ready = True
        for host, share in zip(hosts, shares):
            samples = host.metrics()
            subscribed = any(v == 1 for k, v in samples.items() if k.startswith("wsbridge_broker_up"))
            if (samples.get("wsbridge_sessions") != share or samples.get("wsbridge_broker_durable") != 1
                    or not subscribed):
                ready = False
                break
        if ready:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("hosts did not hold their share of sessions (or were not subscribed and durable) in time")


async def await_pipe(pipe, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pipe.poll():
            return pipe.recv()
        await asyncio.sleep(0.005)
    raise TimeoutError("the publisher did not answer in time")


def wait_quiet(cores, longest):
    """Before a run, with none of its processes started yet: samples the machine's busy cores over 2 s
    until they are below `cores` (other tenants quiet), for at most `longest` seconds. Returns (the last
    sample, seconds waited)."""
    started = time.monotonic()
    for _ in range(100_000):
        first = machine_cpu()
        time.sleep(2.0)
        second = machine_cpu()
        total = second[2] - first[2]
        busy = (second[0] - first[0]) / total * os.cpu_count() if total else 0.0
        if busy < cores or time.monotonic() - started >= longest:
            return round(busy, 2), round(time.monotonic() - started, 1)
    return None, round(time.monotonic() - started, 1)


async def one_run(args, n_hosts, run_index, binary):
    workdir = tempfile.mkdtemp(prefix="wsbridge-scaling-")
    redis = publisher = clients = None
    hosts = []
    pipe = None
    result = {"hosts": n_hosts, "run": run_index, "redis": args.redis, "routing": args.routing, "users": args.users,
              "seeds": args.seeds}
    if args.wait_quiet is not None:
        result["busy_cores_before"], result["waited_for_quiet_seconds"] = wait_quiet(args.wait_quiet, args.wait_quiet_max)
    result["load_average_before"] = load_average()
    try:
        redis = SingleRedis(workdir) if args.redis == "single" else ClusterRedis(workdir)
        for i in range(n_hosts):  # appended one by one, so that a failed start still stops the others
            hosts.append(Host(binary, workdir, f"h{i + 1}", redis.host_args(i, args.seeds == "rotate"), args.routing))
        for host in hosts:
            host.wait_listening()

        context = multiprocessing.get_context("spawn")
        pipe, child_end = context.Pipe()
        seed_port = redis.port if args.redis == "single" else redis.seed_port()
        publisher = context.Process(target=publisher_main, args=(child_end, args.redis, seed_port, args.rate),
                                    daemon=True)
        publisher.start()
        kind, _ = await await_pipe(pipe, 30)
        assert kind == "ready"

        clients = Clients()
        started = time.monotonic()
        await clients.connect(hosts, args.users)
        await wait_hosts_ready(hosts, args.users)
        result["connect_seconds"] = round(time.monotonic() - started, 2)

        processes = redis.processes() + [(host.name, "host", host.pid) for host in hosts]
        result["processes"] = [{"name": name, "role": role, "pid": pid} for name, role, pid in processes]

        # Background: nothing published.
        before, t0 = cpu_of(processes), time.monotonic()
        await asyncio.sleep(args.idle_seconds)
        after, t1 = cpu_of(processes), time.monotonic()
        idle = {name: (after[name] - before[name]) / (t1 - t0) for name in before}

        # Warm-up: one message to every user, so every stream exists; then the measured messages.
        rng = random.Random(args.seed * 1000 + n_hosts * 10 + run_index)
        users = [f"u{i}" for i in range(args.users)]
        warmup = [(seq, user) for seq, user in enumerate(rng.sample(users, len(users)))]
        count = int(args.rate * args.seconds)
        measured = [(len(warmup) + i, rng.choice(users)) for i in range(count)]

        pipe.send(("publish", warmup))
        kind, warm_stats = await await_pipe(pipe, len(warmup) / args.rate + 90)
        warm_ok = await clients.wait_delivered([seq for seq, _ in warmup], args.drain_timeout)
        if not warm_ok or warm_stats["failed"]:
            result["warmup_problem"] = {"publish": warm_stats, "delivered": clients.tally([s for s, _ in warmup])}

        machine_before = machine_cpu()
        load_before = cpu_seconds(os.getpid()) + cpu_seconds(publisher.pid)
        before, t0 = cpu_of(processes), time.monotonic()
        pipe.send(("publish", measured))
        kind, stats = await await_pipe(pipe, count / args.rate + 90)
        drained = await clients.wait_delivered([seq for seq, _ in measured], args.drain_timeout)
        after, t1 = cpu_of(processes), time.monotonic()
        load_after = cpu_seconds(os.getpid()) + cpu_seconds(publisher.pid)
        machine_after = machine_cpu()

        once, missing, duplicated = clients.tally([seq for seq, _ in measured])
        dead = [host.name for host in hosts if not host.process.alive]
        problems = []
        if stats["failed"] or stats["timed_out"]:
            problems.append(f"publish: {stats['failed']} failed, timed out: {stats['timed_out']}, {stats['errors']}")
        if missing or duplicated or clients.wrong_user or clients.unparsed:
            problems.append(f"deliveries: {missing} missing, {duplicated} duplicated, "
                            f"{clients.wrong_user} to the wrong user, {clients.unparsed} unparsed")
        if clients.closed:
            problems.append(f"{clients.closed} client connections closed during the run")
        if dead:
            problems.append(f"hosts exited: {dead}")
        if "warmup_problem" in result:
            problems.append("warm-up incomplete")

        delta = {name: after[name] - before[name] for name in before}
        roles = {name: role for name, role, _ in processes}
        redis_cpu = sum(v for name, v in delta.items() if roles[name] != "host")
        host_cpu = sum(v for name, v in delta.items() if roles[name] == "host")
        busy = machine_after[0] - machine_before[0]
        total_jiffies = machine_after[2] - machine_before[2]
        result.update({
            "messages": count,
            "complete": not problems,
            "problems": problems,
            "delivered_once": once, "missing": missing, "duplicated": duplicated,
            "publish": {k: stats[k] for k in ("ok", "failed", "moved", "asked", "largest_batch", "timed_out", "errors")},
            "publish_seconds": round(stats["last_send"] - stats["first_send"], 3),
            "achieved_rate": round(count / max(stats["last_send"] - stats["first_send"], 1e-9), 1) if count > 1 else None,
            "window_seconds": round(t1 - t0, 3),
            "drained": drained,
            "redis_us_per_msg": redis_cpu * 1e6 / count,
            "hosts_us_per_msg": host_cpu * 1e6 / count,
            "total_us_per_msg": (redis_cpu + host_cpu) * 1e6 / count,
            "per_host_us_per_msg": host_cpu * 1e6 / count / n_hosts,
            "redis_masters_us_per_msg": sum(v for name, v in delta.items() if roles[name] in ("master", "single")) * 1e6 / count,
            "redis_replicas_us_per_msg": sum(v for name, v in delta.items() if roles[name] == "replica") * 1e6 / count,
            "cpu_seconds": {name: round(v, 2) for name, v in delta.items()},
            "idle_cpu_ms_per_s": {
                "redis": round(sum(v for name, v in idle.items() if roles[name] != "host") * 1e3, 2),
                "hosts": round(sum(v for name, v in idle.items() if roles[name] == "host") * 1e3, 2)},
            "machine_busy_cores": round(busy / total_jiffies * os.cpu_count(), 2) if total_jiffies else None,
            # This script's clients and publisher, and what the rest of the machine (other tenants) used.
            "load_busy_cores": round((load_after - load_before) / (t1 - t0), 2),
            "others_busy_cores": round(busy / total_jiffies * os.cpu_count()
                                       - (redis_cpu + host_cpu + load_after - load_before) / (t1 - t0), 2)
            if total_jiffies else None,
            "machine_steal_cores": round((machine_after[1] - machine_before[1]) / total_jiffies * os.cpu_count(), 2)
            if total_jiffies else None,
            "load_average_after": load_average(),
        })
        return result
    finally:
        if clients is not None:
            await clients.close()
        if pipe is not None:
            try:
                pipe.send(("stop",))
            except OSError:
                pass
        if publisher is not None:
            publisher.join(timeout=10)
            if publisher.is_alive():
                os.kill(publisher.pid, signal.SIGKILL)
                publisher.join(timeout=10)
        for host in hosts:
            host.stop()
        if redis is not None:
            redis.stop()
        if args.keep_logs:
            result["workdir"] = workdir
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------- summary

COLUMNS = [("redis_us_per_msg", "Redis µs/msg"), ("hosts_us_per_msg", "hosts µs/msg (sum)"),
           ("total_us_per_msg", "total µs/msg"), ("per_host_us_per_msg", "per host µs/msg (mean)")]


def medians(runs):
    by_n = collections.OrderedDict()
    for run in sorted(runs, key=lambda r: r["hosts"]):
        by_n.setdefault(run["hosts"], []).append(run)
    table = []
    for n, group in by_n.items():
        row = {"hosts": n, "runs": len(group), "complete": sum(1 for r in group if r["complete"])}
        for key, _ in COLUMNS + [("redis_masters_us_per_msg", ""), ("redis_replicas_us_per_msg", "")]:
            values = [r[key] for r in group]
            row[key] = statistics.median(values)
            row[key + "_range"] = [min(values), max(values)]
        row["idle_cpu_ms_per_s"] = statistics.median(
            r["idle_cpu_ms_per_s"]["redis"] + r["idle_cpu_ms_per_s"]["hosts"] for r in group)
        row["load_average"] = statistics.median(r["load_average_before"][0] for r in group)
        row["others_busy_cores"] = statistics.median(r["others_busy_cores"] for r in group)
        row["delivered_once"] = sum(r["delivered_once"] for r in group)
        row["messages"] = sum(r["messages"] for r in group)
        table.append(row)
    base = table[0]["total_us_per_msg"] if table and table[0]["hosts"] == 1 else None
    for row in table:
        row["total_vs_1_host"] = row["total_us_per_msg"] / base if base else None
    return table


def markdown(table, args):
    where = "one Redis" if args.redis == "single" else (
        "a Redis Cluster (3 masters, 3 replicas" + (", hosts' seed lists rotated)" if args.seeds == "rotate" else ")"))
    lines = [f"Routing `{args.routing}`, {where}, "
             f"{args.users} users, {args.rate:g} msg/s for {args.seconds:g} s; medians of {args.runs} runs "
             f"(lowest–highest in brackets).", "",
             "| hosts | " + " | ".join(title for _, title in COLUMNS) + " | total ÷ 1 host | idle CPU, ms/s | delivered once | load avg | others' cores |",
             "|---:|" + "---:|" * (len(COLUMNS) + 5)]
    for row in table:
        cells = [str(row["hosts"])]
        for key, _ in COLUMNS:
            low, high = row[key + "_range"]
            cells.append(f"{row[key]:.1f} ({low:.1f}–{high:.1f})")
        cells.append(f"{row['total_vs_1_host']:.2f}×" if row["total_vs_1_host"] else "—")
        cells.append(f"{row['idle_cpu_ms_per_s']:.1f}")
        cells.append(f"{row['delivered_once']:,} / {row['messages']:,}")
        cells.append(f"{row['load_average']:.2f}")
        cells.append(f"{row['others_busy_cores']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", default="1,2,4,8,16", help="host counts, comma-separated (default 1,2,4,8,16)")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second (default 1000)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of publishing per run (default 5)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--routing", choices=("channel", "per-user"), default="channel")
    parser.add_argument("--redis", choices=("single", "cluster"), default="single")
    parser.add_argument("--seeds", choices=("same", "rotate"), default="same",
                        help="cluster: every host gets the same seed list (and subscribes on its first node), "
                             "or host i's list starts at node i mod 6 (default same)")
    parser.add_argument("--out", help="write every run and the medians here (JSON)")
    parser.add_argument("--markdown", help="write the table here (default: --out with .md)")
    parser.add_argument("--wsbridge", default=os.environ.get("WSBRIDGE_BIN", os.path.join(ROOT, ".build", "release", "wsbridge")))
    parser.add_argument("--idle-seconds", type=float, default=2.0, help="background measured before publishing")
    parser.add_argument("--drain-timeout", type=float, default=10.0, help="longest wait without a new delivery")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wait-quiet", type=float, metavar="CORES",
                        help="before each run, wait until the machine's busy cores (others') are below CORES")
    parser.add_argument("--wait-quiet-max", type=float, default=600.0, metavar="SECONDS",
                        help="longest such wait per run; the run goes ahead then (default 600)")
    parser.add_argument("--keep-logs", action="store_true", help="keep each run's directory (logs) and say where")
    args = parser.parse_args()
    counts = [int(n) for n in args.hosts.split(",")]
    if not os.access(args.wsbridge, os.X_OK):
        sys.exit(f"no wsbridge binary at {args.wsbridge} (swift build -c release, or --wsbridge PATH)")
    if args.users < max(counts) or args.rate <= 0 or args.seconds <= 0 or args.runs < 1:
        sys.exit("need users >= hosts, a positive rate and seconds, runs >= 1")

    version = subprocess.run([args.wsbridge, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    header = {"wsbridge": version, "redis_server": subprocess.run(["redis-server", "--version"], capture_output=True,
                                                                  text=True, timeout=10).stdout.split()[2].removeprefix("v="),
              "cpus": os.cpu_count(), "load_average_at_start": load_average(),
              "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    print(f"# {header['wsbridge']}, redis {header['redis_server']}, {header['cpus']} CPUs, "
          f"load average {header['load_average_at_start']}, {header['date']}", flush=True)

    runs, failed = [], []
    for run_index in range(1, args.runs + 1):
        order = counts if run_index % 2 == 1 else list(reversed(counts))
        for n in order:
            try:
                result = asyncio.run(one_run(args, n, run_index, args.wsbridge))
            except Unsupported as refused:
                print(f"routing {args.routing}: not supported by this build ({refused})", flush=True)
                if args.out:
                    with open(args.out, "w") as f:
                        json.dump({"settings": vars(args), **header, "supported": False, "reason": str(refused)},
                                  f, indent=1)
                sys.exit(3)
            except (RuntimeError, TimeoutError, OSError, AssertionError, EOFError) as error:
                # Every process of the run is stopped by then; the run is reported, not measured.
                print(f"N={n:2d} run {run_index}: FAILED: {type(error).__name__}: {error}", flush=True)
                failed.append({"hosts": n, "run": run_index, "error": f"{type(error).__name__}: {error}"})
                continue
            runs.append(result)
            print(f"N={n:2d} run {run_index}: Redis {result['redis_us_per_msg']:7.1f} µs/msg  hosts "
                  f"{result['hosts_us_per_msg']:7.1f}  total {result['total_us_per_msg']:7.1f}  per host "
                  f"{result['per_host_us_per_msg']:6.1f}  delivered {result['delivered_once']}/{result['messages']}"
                  f"  rate {result['achieved_rate']}/s  load {result['load_average_before'][0]:.2f}"
                  + ("" if result["complete"] else f"  INCOMPLETE: {'; '.join(result['problems'])}"), flush=True)

    table = medians(runs)
    text = markdown(table, args)
    print()
    print(text, end="")
    header["load_average_at_end"] = load_average()
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"settings": vars(args), **header, "supported": True, "medians": table, "runs": runs,
                       "failed_runs": failed}, f, indent=1)
    target = args.markdown or (os.path.splitext(args.out)[0] + ".md" if args.out else None)
    if target:
        with open(target, "w") as f:
            f.write(text)
    if failed:
        print(f"{len(failed)} run(s) failed before they could be measured: "
              + "; ".join(f"N={f['hosts']} run {f['run']}: {f['error']}" for f in failed))
    sys.exit(0 if runs and not failed and all(r["complete"] for r in runs) else 1)


if __name__ == "__main__":
    main()
