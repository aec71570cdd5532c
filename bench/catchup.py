#!/usr/bin/env python3
"""Catch-up time of one wsbridge node after its subscription is killed, with USERS users connected.

Called by bench/run.sh (scenario catchup) with a running redis-server and wsbridge (log level info,
admin listener on). Holds USERS connections with `wsbridge-bench idle`, waits until the node tracks
every user's stream, then sends Redis one MULTI: CLIENT KILL TYPE pubsub, then MESSAGES durable
publishes to random users (they land while the node is unsubscribed). Reads from the node's log when
it was linked again and when it had caught every stream up, and checks from /metrics that every one
of the messages was delivered from the history. Prints one JSON object.
"""
import argparse
import datetime
import json
import random
import socket
import subprocess
import sys
import time
import urllib.request


def log_entries(path):
    entries = []
    with open(path) as f:
        for line in f:
            entry = {}
            for part in _logfmt(line.strip()):
                key, _, value = part.partition("=")
                entry[key] = value.strip('"')
            entries.append(entry)
    return entries


def _logfmt(line):
    parts, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == " " and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current:
        parts.append(current)
    return parts


def log_time(entry):
    return datetime.datetime.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def metrics(address):
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        samples = {}
        for line in response.read().decode().splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                samples[series] = float(value)
        return samples


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--bench", "--load-cpu", "--sources", "--url", "--redis-port", "--log"):
        parser.add_argument(name, required=True)
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()

    admin = next(e["wsb.address"] for e in log_entries(args.log)
                 if e.get("msg") == "listening" and e.get("wsb.listener") == "admin")
    load = subprocess.Popen(
        ["taskset", "-c", args.load_cpu, args.bench, "idle", "--target", "wsbridge", "--url", args.url,
         "--connections", str(args.users), "--sources", args.sources, "--settle", "60", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            m = metrics(admin)
            if (m.get('wsbridge_connections_open{path="/ws"}', 0) >= args.users
                    and m.get("wsbridge_history_streams_tracked", 0) >= args.users + 1):
                break
            time.sleep(0.2)
        else:
            opened = m.get('wsbridge_connections_open{path="/ws"}')
            raise SystemExit(f"only {opened} connections, {m.get('wsbridge_history_streams_tracked')} streams tracked")
        time.sleep(1)  # the position reads of the last users settle
        before = metrics(admin)
        rng = random.Random(1)
        script = [resp("MULTI"), resp("CLIENT", "KILL", "TYPE", "pubsub")]
        for n in range(args.messages):
            envelope = json.dumps({"user": f"u{rng.randrange(args.users)}", "data": f"missed {n}"})
            script.append(resp("FCALL", "wsbridge_publish", "0", envelope))
        script.append(resp("EXEC"))
        with socket.create_connection(("127.0.0.1", int(args.redis_port))) as redis:
            killed = time.time()
            redis.sendall(b"".join(script))
            redis.settimeout(10)
            # +OK, +QUEUED for each command, then EXEC's array: :1 and a bulk string per publish.
            lines = 3 * args.messages + 4
            received = b""
            while received.count(b"\r\n") < lines:
                chunk = redis.recv(1 << 20)
                if not chunk:
                    break
                received += chunk
        caught = linked = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and caught is None:
            for entry in log_entries(args.log):
                when = log_time(entry)
                if when < killed - 0.005:
                    continue
                if entry.get("msg") == "broker linked" and linked is None:
                    linked = when
                if entry.get("msg") == "caught up from the history" and linked is not None:
                    caught = when
                    break
            time.sleep(0.05)
        after = metrics(admin)
        delivered = (after.get('wsbridge_deliveries_total{source="history"}', 0)
                     - before.get('wsbridge_deliveries_total{source="history"}', 0))
        report = {
            "scenario": "catchup",
            "complete": caught is not None and delivered == args.messages,
            "users": args.users,
            "messages": args.messages,
            "catchup": {
                "relinked_ms": (linked - killed) * 1000 if linked else None,
                "caught_up_ms": (caught - killed) * 1000 if caught else None,
                "recovered_messages": delivered,
                "streams_caught_up": after.get("wsbridge_history_catchups_total", 0)
                - before.get("wsbridge_history_catchups_total", 0),
            },
        }
        print(json.dumps(report))
        return 0 if report["complete"] else 1
    finally:
        load.terminate()
        try:
            load.wait(timeout=30)
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()


if __name__ == "__main__":
    sys.exit(main())
