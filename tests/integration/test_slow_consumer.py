"""A client that stops reading is disconnected; the others keep receiving every message."""

import json

from websockets.sync.client import connect

from harness import RawWebSocket, wait_for

CHANNEL = "websocket:sendMsgTopic"


def test_a_client_that_stops_reading_is_closed_and_others_get_everything(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query", "--max-queue-bytes", "256KiB")
    wait_for(lambda: node.http("/healthz")[0] == 200, what="/healthz 200")
    slow = RawWebSocket(node.port, "/ws?user=slow")
    assert slow.status == 101
    slow.set_receive_buffer(4096)
    with connect(node.url(user="fast"), max_size=None) as fast:
        filler = "x" * 16000
        total = 400  # 6.4 MB for everyone: far past the kernel buffers and the 256 KiB queue
        for i in range(total):
            redis_server.publish(CHANNEL, json.dumps({"all": True, "data": f"{i:04d}{filler}"}))
            # The fast client reads as we go, as a healthy browser would.
            assert fast.recv(timeout=10)[:4] == f"{i:04d}"
        wait_for(lambda: any(e.get("msg") == "closing slow consumer" for e in node.log_entries()),
                 what="the slow consumer to be closed")
        texts, close_code = slow.read_until_closed(timeout=30)
        assert len(texts) < total, "the slow client was cut off"
        assert close_code in (None, 1008)
        slow.close()
