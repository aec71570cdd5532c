#!/usr/bin/env python3
"""Redis memory per user stream of the durable path (docs/scaling.md, "A plan for 1,000,000 connections").

    bench/history_memory.py [--users 2000] [--messages 1,10,100] [--subscriptions 100000] [--wsbridge PATH]

Starts a redis-server and one wsbridge host linked to it (which loads the function library with the
default history settings: history_size 100), then for each count K in --messages publishes K durable
messages (`FCALL wsbridge_publish 0`, the envelope of bench/scaling.py: ~100 bytes of data) to each of
USERS fresh users, pipelined, and reads INFO memory's used_memory before and after. Prints the bytes per
user stream holding K messages (its meta hash, its history list, their keys and expiries) and the
slope per message. Then, with --subscriptions N, one client subscribes to N per-user sharded channels
(`SSUBSCRIBE wsbridge:{u:sI}`, 1,000 a command, what a host with per-user routing holds for N users) and
the bytes per subscription are read the same way. Every process is ended by its PID; only 127.0.0.1 is
used.
"""
import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling  # noqa: E402  (bench/scaling.py: processes, RESP, the envelope)


def used_memory(port):
    info = scaling.resp_call(port, "INFO", "memory").decode()
    return int(next(line.split(":")[1] for line in info.splitlines() if line.startswith("used_memory:")))


def publish_all(port, commands, window=2000):
    """Sends `commands` (RESP bytes) pipelined, at most `window` unanswered; checks every reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        buffer, sent, answered = bytearray(), 0, 0
        deadline = time.monotonic() + 600
        while answered < len(commands):
            if time.monotonic() > deadline:
                raise TimeoutError("Redis did not answer every publish in 10 minutes")
            if sent < len(commands) and sent - answered < window:
                batch = commands[sent:sent + window - (sent - answered)]
                s.sendall(b"".join(batch))
                sent += len(batch)
            buffer += s.recv(1 << 20)
            offset = 0
            while True:
                parsed = scaling.parse_resp(buffer, offset)
                if parsed is None:
                    break
                reply, offset = parsed
                if isinstance(reply, scaling.RespError):
                    raise RuntimeError(f"publish refused: {reply}")
                answered += 1
            del buffer[:offset]


def subscription_bytes(port, count, batch=1000):
    """used_memory added per sharded channel while one client holds `count` of them."""
    before = used_memory(port)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        buffer, confirmed = bytearray(), 0
        for first in range(0, count, batch):
            s.sendall(scaling.resp_command("SSUBSCRIBE", *(f"wsbridge:{{u:s{i}}}" for i in range(first, min(count, first + batch)))))
        deadline = time.monotonic() + 120
        while confirmed < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{confirmed} of {count} subscriptions confirmed in 2 minutes")
            buffer += s.recv(1 << 20)
            offset = 0
            while (parsed := scaling.parse_resp(buffer, offset)) is not None:
                reply, offset = parsed
                if isinstance(reply, scaling.RespError):
                    raise RuntimeError(f"SSUBSCRIBE refused: {reply}")
                confirmed += 1
            del buffer[:offset]
        after = used_memory(port)
    return {"subscriptions": count, "bytes_per_subscription": round((after - before) / count)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--messages", default="1,10,100")
    parser.add_argument("--subscriptions", type=int, default=100000, help="0: not measured")
    parser.add_argument("--wsbridge", default=os.environ.get(
        "WSBRIDGE_BIN", os.path.join(scaling.ROOT, ".build", "release", "wsbridge")))
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="wsbridge-history-memory-")
    redis = host = None
    try:
        redis = scaling.SingleRedis(workdir)
        host = scaling.Host(args.wsbridge, workdir, "h1", redis.host_args(0, False), "channel")
        host.wait_listening()
        scaling.wait_for(lambda: host.metrics().get("wsbridge_broker_durable") == 1, timeout=30, what="the library to be loaded")
        results, seq = [], 0
        for round_index, count in enumerate(int(k) for k in args.messages.split(",")):
            users = [f"r{round_index}u{i}" for i in range(args.users)]
            commands = []
            for _ in range(count):
                for user in users:
                    commands.append(scaling.resp_command("FCALL", "wsbridge_publish", 0, scaling.envelope(seq, user)))
                    seq += 1
            before = used_memory(redis.port)
            publish_all(redis.port, commands)
            after = used_memory(redis.port)
            results.append({"messages_per_user": count, "users": args.users,
                            "bytes_per_user": round((after - before) / args.users)})
        if len(results) > 1:
            first, last = results[0], results[-1]
            span = last["messages_per_user"] - first["messages_per_user"]
            slope = (last["bytes_per_user"] - first["bytes_per_user"]) / span if span else None
            results.append({"bytes_per_message_kept": round(slope) if slope is not None else None,
                            "envelope_bytes": len(scaling.envelope(0, "r0u0"))})
        if args.subscriptions:
            results.append(subscription_bytes(redis.port, args.subscriptions))
        print(json.dumps(results))
    finally:
        if host is not None:
            host.stop()
        if redis is not None:
            redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
