"""The liveness probe: a subscription that is up but delivers nothing is noticed and rebuilt.

A TCP proxy between wsbridge and Redis goes "deaf" on the subscriber's connection: it keeps the
connection open but drops everything Redis sends on it (pushes and PING replies alike), as a broken
middlebox or a server-side bug would. With the health check set far longer than the probe, only the
probe can notice.
"""

import json
import socket
import threading
import time

from websockets.sync.client import connect

from harness import free_port, wait_for


class DeafeningProxy:
    """Forwards 127.0.0.1:port to Redis; `deafen()` silences the subscriber connections open at that
    moment (those that sent SUBSCRIBE): the command connection keeps working. A connection opened after
    it (the rebuilt subscription) is held for `hold_after_deafen` seconds before it reaches Redis, so
    that the time /healthz says 503 is long enough to be seen on a loaded machine."""

    hold_after_deafen = 1.0

    def __init__(self, redis_port):
        self.redis_port = redis_port
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.connections = []
        self.subscribers = set()
        self.deaf = set()
        self.hold = 0.0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections.append(client)
                hold = self.hold
            threading.Thread(target=self._connect, args=(client, hold), daemon=True).start()

    def _connect(self, client, hold):
        time.sleep(hold)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.redis_port))
        except OSError:  # Redis is gone: the test is over
            client.close()
            return
        threading.Thread(target=self._pump, args=(client, upstream, None, client), daemon=True).start()
        threading.Thread(target=self._pump, args=(upstream, client, client, None), daemon=True).start()

    def _pump(self, source, destination, deafened_by, sender):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (source, destination):
                    try:
                        s.close()
                    except OSError:
                        pass
                return
            with self.lock:
                if sender is not None and b"SUBSCRIBE" in data:
                    self.subscribers.add(sender)
                silent = deafened_by is not None and deafened_by in self.deaf
            if not silent:
                try:
                    destination.sendall(data)
                except OSError:
                    return

    def deafen(self):
        with self.lock:
            self.deaf.update(c for c in self.connections if c in self.subscribers)
            self.hold = self.hold_after_deafen

    def close(self):
        self.listener.close()
        with self.lock:
            for connection in self.connections:
                try:
                    connection.close()
                except OSError:
                    pass


def test_a_deaf_subscription_is_rebuilt_and_healthz_says_so_meanwhile(redis_server, nodes):
    proxy = DeafeningProxy(redis_server.port)
    try:
        node = nodes("host1", "--redis", f"redis://127.0.0.1:{proxy.port}", "--auth", "insecure-query",
                     "--broker-probe-interval", "300ms", "--broker-health-interval", "1h")
        wait_for(lambda: node.metrics().get("wsbridge_broker_durable") == 1, what="linked, library loaded")
        wait_for(lambda: node.metrics()["wsbridge_broker_probe_round_trip_seconds"] > 0, what="a probe to pass")
        with connect(node.url(user="ann")) as ann:
            proxy.deafen()
            # Published while the subscription is deaf: it reaches Redis, never the node, until the node
            # notices and catches up from the history.
            redis_server.cli("FCALL", "wsbridge_publish", "0", json.dumps({"user": "ann", "data": "unheard"}))
            wait_for(lambda: node.http("/healthz") == (503, "subscription probe missed: the subscription is being rebuilt\n"),
                     timeout=5, interval=0.005, what="/healthz 503 once the probe is missed")
            assert ann.recv(timeout=5) == "unheard", "caught up from the history once the subscription is rebuilt"
            wait_for(lambda: node.http("/healthz")[0] == 200, timeout=5, what="/healthz 200 once a probe passes")
            metrics = node.metrics()
            assert metrics["wsbridge_broker_probe_misses_total"] >= 1
            assert metrics["wsbridge_broker_health_timeouts_total"] == 0, "the health check had no part in it"
            assert any("does not deliver" in e.get("msg", "") for e in node.log_entries())
    finally:
        proxy.close()
