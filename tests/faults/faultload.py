"""Load with sequence numbers for the fault suite, and the accounting of every message.

A publisher sends numbered messages to Redis at a steady rate, durably (`FCALL wsbridge_publish`) or
best effort (`PUBLISH`), and records the outcome of each: accepted (Redis answered it), failed (Redis
refused it, or could not be reached: nothing was sent) or unknown (sent, but the connection went
before the answer: it may or may not have been published). WebSocket clients, plain and `wsbridge.v1`,
record every message they receive and every gap they are told of; an app on the app socket records
the gaps the node announces. `account()` then says, per client and in total, what was lost (accepted,
never delivered), lost but reported (its stream had a gap), duplicated and reordered.
"""

import asyncio
import json
import socket
import struct
import time

from websockets.asyncio.client import connect

CHANNEL = "websocket:sendMsgTopic"


class RespError(Exception):
    pass


class Resp:
    """A minimal RESP2 client: one command at a time, replies as str/int/list/RespError."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port, timeout=1.0):
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        return cls(reader, writer)

    async def call(self, *args, timeout=3.0):
        out = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.writer.write(b"".join(out))
        await self.writer.drain()
        return await asyncio.wait_for(self._reply(), timeout)

    async def _reply(self):
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = await self.reader.readexactly(n + 2)
            return data[:-2].decode()
        if kind == b"*":
            return [await self._reply() for _ in range(int(rest))]
        raise ConnectionError(f"bad reply {line!r}")

    def close(self):
        self.writer.close()


def envelope(seq, users, all_every):
    """Message `seq`: to everyone every `all_every` messages, else to user u<seq mod users>."""
    if seq % all_every == 0:
        return {"all": True, "data": str(seq)}, None
    user = f"u{seq % users}"
    return {"user": user, "data": str(seq)}, user


async def publish(port, durable, rate, duration, users, all_every, outcomes, started=None):
    """Publishes for `duration` seconds at `rate` per second; `outcomes[seq]` = accepted, failed or unknown."""
    connection = None
    begin = time.monotonic()
    if started is not None:
        started.set()
    seq = 0
    while time.monotonic() - begin < duration:
        seq += 1
        due = begin + seq / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        message, _ = envelope(seq, users, all_every)
        text = json.dumps(message, separators=(",", ":"))
        if connection is None:
            try:
                connection = await Resp.connect(port, timeout=0.5)
            except (OSError, asyncio.TimeoutError):
                outcomes[seq] = "failed"
                continue
        try:
            if durable:
                reply = await connection.call("FCALL", "wsbridge_publish", "0", text)
            else:
                reply = await connection.call("PUBLISH", CHANNEL, text)
        except (OSError, ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            outcomes[seq] = "unknown"
            connection.close()
            connection = None
            continue
        outcomes[seq] = "failed" if isinstance(reply, RespError) else "accepted"
    if connection is not None:
        connection.close()
    return seq


class Client:
    """One WebSocket client of user `user`; `kind` is plain or wsbridge.v1."""

    def __init__(self, port, user, kind):
        self.port, self.user, self.kind = port, user, kind
        self.received = []  # seqs in arrival order
        self.gaps = []  # (stream, reason)
        self.ready = asyncio.Event()
        self.closed_code = None
        self.task = None

    async def run(self):
        url = f"ws://127.0.0.1:{self.port}/ws?user={self.user}"
        subprotocols = ["wsbridge.v1"] if self.kind == "wsbridge.v1" else None
        async with connect(url, subprotocols=subprotocols, max_queue=None, ping_interval=None) as ws:
            if self.kind != "wsbridge.v1":
                self.ready.set()
            async for frame in ws:
                if self.kind != "wsbridge.v1":
                    self.received.append(int(frame))
                    continue
                event = json.loads(frame)
                if event["type"] == "message":
                    self.received.append(int(event["data"]))
                elif event["type"] == "gap":
                    self.gaps.append((event["stream"], event["reason"]))
                elif event["type"] == "ready":
                    self.ready.set()
            self.closed_code = ws.close_code

    def start(self):
        self.task = asyncio.ensure_future(self.run())


class GapListener:
    """An app attached to the app socket that records the gaps the node announces."""

    def __init__(self, path):
        self.path = path
        self.gaps = []  # (user or None, stream, reason)
        self.task = None

    async def run(self):
        reader, writer = await asyncio.open_unix_connection(self.path)
        body = json.dumps({"type": "hello", "protocol": 1, "name": "fault-suite", "paths": []}).encode()
        writer.write(struct.pack(">I", len(body)) + body)
        await writer.drain()
        while True:
            header = await reader.readexactly(4)
            event = json.loads(await reader.readexactly(struct.unpack(">I", header)[0]))
            if event.get("type") == "gap" and "session" not in event:
                self.gaps.append((event.get("user"), event["stream"], event["reason"]))

    def start(self):
        self.task = asyncio.ensure_future(self.run())


def account(outcomes, clients, listener, users, all_every):
    """Every delivery that should have happened, and what did."""
    accepted = {seq for seq, outcome in outcomes.items() if outcome == "accepted"}
    unknown = {seq for seq, outcome in outcomes.items() if outcome == "unknown"}
    totals = dict(expected=0, delivered=0, lost=0, lost_reported=0, duplicates=0, reordered=0, unexpected=0,
                  gaps_reported=0)
    for client in clients:
        stream_of = lambda seq: "all" if seq % all_every == 0 else f"u{seq % users}"
        mine = {seq for seq in accepted | unknown if stream_of(seq) in ("all", client.user)}
        expected = {seq for seq in mine if seq in accepted}
        seen = set()
        last = {}
        for seq in client.received:
            if seq in seen:
                totals["duplicates"] += 1
                continue
            seen.add(seq)
            if seq not in mine:
                totals["unexpected"] += 1
            stream = stream_of(seq)
            if last.get(stream, 0) > seq:
                totals["reordered"] += 1
            last[stream] = max(last.get(stream, 0), seq)
        if client.kind == "wsbridge.v1":
            reported = {("all" if stream == "all" else client.user) for stream, _ in client.gaps}
            totals["gaps_reported"] += len(client.gaps)
        else:
            reported = {("all" if stream == "all" else user) for user, stream, _ in listener.gaps
                        if stream == "all" or user == client.user}
        missing = expected - seen
        for seq in missing:
            if stream_of(seq) in reported:
                totals["lost_reported"] += 1
            else:
                totals["lost"] += 1
        totals["expected"] += len(expected)
        totals["delivered"] += len(expected & seen)
    totals["gaps_reported"] += len(listener.gaps)
    return totals


async def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


def http_status(port, path="/healthz", timeout=0.5):
    """The status of GET path on 127.0.0.1:port, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
            return int(head.split(b" ")[1])
    except (OSError, ValueError, IndexError):
        return None
