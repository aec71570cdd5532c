"""permessage-deflate with a real client (Python's websockets, which offers it by default, as browsers do):
the negotiation, a broadcast compressed once per window size, a compressed client message reaching the
app inflated, a zip bomb closed with 1009, and `permessage_deflate = off`."""

import zlib

import pytest
from websockets.exceptions import ConnectionClosedError
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

from harness import RawApp, wait_for

LONG = "wsbridge compresses a broadcast once for all its recipients. " * 50


def deflate_metrics(node):
    metrics = node.metrics()
    return {
        "connects": metrics.get("wsbridge_deflate_connects_total", 0),
        "out": metrics.get('wsbridge_deflate_messages_total{direction="out"}', 0),
        "in": metrics.get('wsbridge_deflate_messages_total{direction="in"}', 0),
        "uncompressed": metrics.get('wsbridge_deflate_bytes_total{stage="uncompressed"}', 0),
        "compressed": metrics.get('wsbridge_deflate_bytes_total{stage="compressed"}', 0),
    }


def test_a_broadcast_is_compressed_once_per_window_and_every_client_reads_it(nodes, workdir):
    node = nodes("host1", "--auth", "insecure-query")
    app = RawApp(f"{workdir}/host1.sock", paths=[])
    small_window = ClientPerMessageDeflateFactory(server_max_window_bits=10)
    with connect(node.url(user="a")) as a, connect(node.url(user="b")) as b, \
            connect(node.url(user="c"), extensions=[small_window]) as c, \
            connect(node.url(user="d"), compression=None) as plain:
        extensions = a.response.headers["Sec-WebSocket-Extensions"]
        assert extensions == "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        assert c.response.headers["Sec-WebSocket-Extensions"].endswith("; server_max_window_bits=10")
        assert "Sec-WebSocket-Extensions" not in plain.response.headers

        for n in range(3):
            assert app.request({"type": "publish", "all": True, "data": f"{n} {LONG}"})["type"] == "ok"
        assert app.request({"type": "publish", "all": True, "data": "short"})["type"] == "ok"
        for ws in (a, b, c, plain):
            assert [ws.recv(timeout=5) for _ in range(4)] == [f"{n} {LONG}" for n in range(3)] + ["short"]

        counts = deflate_metrics(node)
        assert counts["connects"] == 3
        assert counts["out"] == 6, "three messages, two windows: one compression each, not one per client"
        assert counts["uncompressed"] == 6 * len(f"0 {LONG}")
        assert counts["compressed"] < counts["uncompressed"] / 10


def test_a_compressed_client_message_reaches_the_app_inflated(nodes, workdir):
    node = nodes("host1", "--auth", "insecure-query")
    app = RawApp(f"{workdir}/host1.sock")
    with connect(node.url(user="alice")) as alice:
        app.next_event("connect")
        alice.send(LONG)  # websockets compresses what it sends once deflate is agreed
        alice.send("tiny")
        assert app.next_event("message")["data"] == LONG
        assert app.next_event("message")["data"] == "tiny"
    assert deflate_metrics(node)["in"] >= 1


def test_a_zip_bomb_is_closed_with_1009_and_others_are_unharmed(nodes, workdir):
    node = nodes("host1", "--auth", "insecure-query", "--max-message-bytes", "64KiB")
    app = RawApp(f"{workdir}/host1.sock", paths=[])
    bomb_text = "\0" * (16 << 20)
    with connect(node.url(user="bomber"), max_size=None) as bomber, connect(node.url(user="bystander")) as bystander:
        bomber.send(bomb_text)  # 16 MiB that the client compresses to about 16 KiB
        with pytest.raises(ConnectionClosedError) as closed:
            bomber.recv(timeout=10)
        assert closed.value.rcvd.code == 1009
        assert app.request({"type": "publish", "user": "bystander", "data": "still here"})["type"] == "ok"
        assert bystander.recv(timeout=5) == "still here"
    metrics = node.metrics()
    assert metrics['wsbridge_limit_hits_total{limit="message_too_big"}'] == 1


def test_turned_off_no_connection_is_compressed(nodes, workdir):
    node = nodes("host1", "--auth", "insecure-query", "--permessage-deflate", "off")
    app = RawApp(f"{workdir}/host1.sock", paths=[])
    with connect(node.url(user="a")) as a:
        assert "Sec-WebSocket-Extensions" not in a.response.headers
        app.request({"type": "publish", "user": "a", "data": LONG})
        assert a.recv(timeout=5) == LONG
    assert deflate_metrics(node)["connects"] == 0


def test_the_compressed_bytes_on_the_wire_are_deflate(nodes, workdir):
    """Reads the raw frame off the socket: RSV1 set, and zlib (not our own inflater) restores it."""
    import base64
    import os
    import socket

    node = nodes("host1", "--auth", "insecure-query")
    app = RawApp(f"{workdir}/host1.sock", paths=[])
    host, port = node.address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws?user=raw HTTP/1.1\r\nHost: {node.address}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    head, rest = response.split(b"\r\n\r\n", 1)
    assert b"permessage-deflate" in head
    wait_for(lambda: node.metrics().get("wsbridge_connections_open{path=\"/ws\"}", 0) == 1, what="the upgrade")
    app.request({"type": "publish", "user": "raw", "data": LONG})
    data = rest
    while len(data) < 2 or len(data) < 2 + (data[1] & 0x7F):  # LONG compresses to under 126 bytes
        data += sock.recv(65536)
    assert data[0] == 0xC1, "FIN, RSV1, text"
    length = data[1]
    assert length < 126, length
    payload = data[2:2 + length]
    assert zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff").decode() == LONG
    sock.close()
