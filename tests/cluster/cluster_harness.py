"""A real Redis Cluster for tests: redis-server processes with cluster-enabled on free loopback ports.

Every process is started here, remembered by PID and ended by PID; only 127.0.0.1 is used; every wait is
bounded. The settings that make it fast are explained in docs/scaling.md ("Redis Cluster: facts measured"):

- the nodes start in parallel and `redis-cli --cluster create` joins them: start() takes about 2.2 s, the
  least a master waits before it says cluster_state:ok (2 s from its start);
- `repl-diskless-sync-delay 0`: a replica's first sync starts at once instead of after 5 s, so a master
  can be killed (and its replica promoted) right after start();
- `cluster-node-timeout` 1000 ms (a parameter): a killed master is failed over in about 2-3 s.
"""

import os
import signal
import socket
import subprocess
import time

from resp_client import RespClient

CLUSTER_SLOTS = 16384


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class ClusterNode:
    """One redis-server of the cluster: its client port, its cluster bus port, its own directory."""

    def __init__(self, workdir, index, node_timeout_ms):
        self.port = free_port()
        self.bus_port = free_port()
        self.dir = os.path.join(workdir, f"node-{index}")
        os.makedirs(self.dir, exist_ok=True)
        self.node_timeout_ms = node_timeout_ms
        self.process = None

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no",
                "--dir", self.dir, "--save", "", "--appendonly", "no", "--logfile", "redis.log",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-port", str(self.bus_port), "--cluster-node-timeout", str(self.node_timeout_ms),
                "--repl-diskless-sync-delay", "0"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self):
        """SIGKILL: no shutdown, no goodbye on the cluster bus."""
        if self.alive:
            self.process.kill()
            self.process.wait()
        self.process = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def cli(self, *args, timeout=10):
        result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)] + [str(a) for a in args],
                                capture_output=True, text=True, timeout=timeout)
        return result.stdout.strip()

    def info(self, section):
        """INFO or CLUSTER INFO fields as a dict ("cluster" asks CLUSTER INFO)."""
        text = self.cli("CLUSTER", "INFO") if section == "cluster" else self.cli("INFO", section)
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def node_id(self):
        return self.cli("CLUSTER", "MYID")

    def role(self):
        return self.cli("ROLE").splitlines()[0] if self.alive else None

    def __repr__(self):
        return f"ClusterNode({self.address})"


class RedisCluster:
    """`masters` masters with `replicas_per_master` replicas each, all on 127.0.0.1."""

    def __init__(self, workdir, masters=3, replicas_per_master=1, node_timeout_ms=1000):
        assert masters >= 3, "redis-cli --cluster create needs at least 3 masters"
        self.masters_count = masters
        self.replicas_per_master = replicas_per_master
        self.nodes = [ClusterNode(workdir, i, node_timeout_ms) for i in range(masters * (1 + replicas_per_master))]
        self.created_in = None
        self.killed_at = None
        self._killed = None
        self._killed_first_slot = None

    # -- life cycle

    def start(self, timeout=30):
        started = time.monotonic()
        try:
            for node in self.nodes:
                node.start()
            for node in self.nodes:
                wait_for(lambda: node.cli("PING") == "PONG", timeout=10, what=f"{node} to answer PING")
            result = subprocess.run(
                ["redis-cli", "--cluster", "create"] + [node.address for node in self.nodes]
                + ["--cluster-replicas", str(self.replicas_per_master), "--cluster-yes"],
                capture_output=True, text=True, timeout=timeout)
            if result.returncode != 0:
                raise AssertionError(f"redis-cli --cluster create failed:\n{result.stdout}\n{result.stderr}")
            self.wait_until_healthy(timeout=timeout)
        except BaseException:
            self.stop()  # never leave a process behind when start-up fails
            raise
        self.created_in = time.monotonic() - started
        return self

    def stop(self):
        """SIGTERM to every node at once, then waits for each (SIGKILL after 10 s)."""
        for node in self.live_nodes():
            node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            node.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- state

    def live_nodes(self):
        return [node for node in self.nodes if node.alive]

    def node_at(self, port):
        return next(node for node in self.nodes if node.port == port)

    def cli(self, node, *args):
        """redis-cli on `node` (a ClusterNode, an index into nodes, or a port); its output, stripped."""
        if isinstance(node, int):
            node = self.nodes[node] if node < len(self.nodes) else self.node_at(node)
        return node.cli(*args)

    def shards(self, via=None):
        """[(first slot, master node, [replica nodes not failed])] for the shards serving slots, from
        CLUSTER SHARDS, sorted by first slot."""
        via = via or self.live_nodes()[0]
        client = RespClient(via.port)
        try:
            reply = client.call("CLUSTER", "SHARDS")
        finally:
            client.close()
        result = []
        for shard in reply:
            fields = dict(zip(shard[::2], shard[1::2]))
            if not fields[b"slots"]:
                continue
            master, replicas = None, []
            for raw in fields[b"nodes"]:
                node = dict(zip(raw[::2], raw[1::2]))
                member = self.node_at(node[b"port"])
                if node[b"role"] == b"master":
                    master = member
                elif node[b"health"] != b"fail":  # "loading" too: 7.0 says so until the first write
                    replicas.append(member)
            result.append((min(fields[b"slots"][::2]), master, replicas))
        return sorted(result, key=lambda entry: entry[0])

    def masters(self):
        """The masters serving slots, ordered by their first slot: masters()[0] serves slot 0."""
        return [master for _, master, _ in self.shards()]

    def master_for(self, key):
        """The master serving the slot of `key` (a key or a sharded channel name)."""
        slot = int(self.live_nodes()[0].cli("CLUSTER", "KEYSLOT", key))
        for node in self.masters():
            if any(start <= slot <= end for start, end in self.slot_ranges(node)):
                return node
        raise AssertionError(f"no master serves slot {slot}")

    def slot_ranges(self, node):
        """The slot ranges `node` serves, as it says itself (CLUSTER NODES, myself line)."""
        for line in node.cli("CLUSTER", "NODES").splitlines():
            fields = line.split()
            if "myself" in fields[2]:
                return [tuple(int(b) for b in r.split("-")) if "-" in r else (int(r), int(r))
                        for r in fields[8:] if not r.startswith("[")]
        return []

    def is_healthy(self):
        """Every live node says cluster_state:ok, knows every live node, sees all slots served; every
        replica is in sync with its master."""
        live = self.live_nodes()
        for node in live:
            info = node.info("cluster")
            if (info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != str(CLUSTER_SLOTS)
                    or int(info.get("cluster_known_nodes", 0)) < len(live)):
                return False
            if node.role() == "slave" and node.info("replication").get("master_link_status") != "up":
                return False
        return True

    def wait_until_healthy(self, timeout=30):
        wait_for(self.is_healthy, timeout=timeout, interval=0.05, what="cluster_state:ok with replicas in sync")

    # -- faults

    def kill_master(self, index):
        """SIGKILLs masters()[index]; returns it. wait_for_failover() then waits for its replica."""
        master = self.masters()[index]
        self._killed = master
        self._killed_first_slot = self.shards()[index][0]
        self.killed_at = time.monotonic()
        master.kill()
        return master

    def wait_for_failover(self, timeout=30):
        """Waits until a replica of the killed master serves its slots and every live node says
        cluster_state:ok; returns (the new master, seconds from the kill)."""
        first_slot = self._killed_first_slot

        def promoted():
            try:
                for start, master, _ in self.shards():
                    if start == first_slot and master is not self._killed and master.alive:
                        return master
            except (OSError, EOFError):
                return None
            return None

        new_master = wait_for(promoted, timeout=timeout, interval=0.02, what="a replica to take over")
        wait_for(lambda: all(n.info("cluster").get("cluster_state") == "ok" for n in self.live_nodes()),
                 timeout=timeout, interval=0.02, what="cluster_state:ok after the failover")
        return new_master, time.monotonic() - self.killed_at

    def restart(self, node):
        """Starts a stopped or killed node again on its ports; it rejoins (a dead master as a replica)."""
        node.start()
        wait_for(lambda: node.cli("PING") == "PONG", timeout=10, what=f"{node} to answer PING")

    def client_kill_pubsub(self, replicas=False):
        """CLIENT KILL TYPE pubsub on every master (and replica, if asked): {port: clients killed}."""
        targets = [n for n in self.live_nodes() if replicas or n.role() == "master"]
        return {node.port: int(node.cli("CLIENT", "KILL", "TYPE", "pubsub") or 0) for node in targets}

    def reshard(self, source, target, slots, timeout=60):
        """Moves `slots` slots (redis-cli picks them, lowest first) from master `source` to `target` with
        `redis-cli --cluster reshard`, keys included; returns when every live node agrees again."""
        result = subprocess.run(
            ["redis-cli", "--cluster", "reshard", target.address, "--cluster-from", source.node_id(),
             "--cluster-to", target.node_id(), "--cluster-slots", str(slots), "--cluster-yes"],
            capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"redis-cli --cluster reshard failed:\n{result.stdout}\n{result.stderr}")
        wait_for(self.agrees, timeout=timeout, what="every node to agree on the slots")

    def move_slot(self, slot, target):
        """Migrates one slot to master `target` step by step (IMPORTING, MIGRATING, MIGRATE of its keys,
        SETSLOT NODE on the target, the source, then every other master), as the cluster spec describes."""
        source = next(m for m in self.masters() if any(a <= slot <= b for a, b in self.slot_ranges(m)))
        if source is target:
            return
        source_id, target_id = source.node_id(), target.node_id()
        assert target.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id) == "OK"
        assert source.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id) == "OK"
        for _ in range(10_000):  # bounded: 100 keys per round
            keys = source.cli("CLUSTER", "GETKEYSINSLOT", slot, 100).split()
            if not keys:
                break
            source.cli("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS", *keys)
        for node in [target, source] + [m for m in self.masters() if m not in (source, target)]:
            node.cli("CLUSTER", "SETSLOT", slot, "NODE", target_id)
        wait_for(self.agrees, what="every node to agree on the slots")

    def agrees(self):
        """Whether every live node reports the same slot ranges per master."""
        views = set()
        for node in self.live_nodes():
            client = RespClient(node.port)
            try:
                reply = client.call("CLUSTER", "SLOTS")
            finally:
                client.close()
            views.add(tuple(sorted((entry[0], entry[1], entry[2][1]) for entry in reply)))
        return len(views) == 1
