"""A client that stops reading is disconnected; the others keep receiving every message."""

import json

from websockets.sync.client import connect

from harness import RawWebSocket, wait_for

CHANNEL = "websocket:sendMsgTopic"


def test_a_client_that_stops_reading_is_closed_and_others_get_everything(redis_server, nodes):
    node = nodes("host1", "--redis", redis_server.url, "--auth", "insecure-query", "--max-queue-bytes", "256KiB",
                 "--close-timeout", "1s")
    wait_for(lambda: node.http("/healthz")[0] == 200, what="/healthz 200")
    slow = RawWebSocket(node.port, "/ws?user=slow", receive_buffer=4096)
    assert slow.status == 101
    with connect(node.url(user="fast"), max_size=None) as fast:
        filler = "x" * 16000
        total = 400  # 6.4 MB for everyone: far past the kernel buffers and the 256 KiB queue
        for i in range(total):
            redis_server.publish(CHANNEL, json.dumps({"all": True, "data": f"{i:04d}{filler}"}))
            # The fast client reads as we go, as a healthy browser would.
            assert fast.recv(timeout=10)[:4] == f"{i:04d}"
        wait_for(lambda: any(e.get("msg") == "closing slow consumer" for e in node.log_entries()),
                 what="the slow consumer to be closed")
        # The slow client never answers the close frame: after close_timeout its connection is reset, so
        # nothing it never read lingers in the server's kernel (a plain close would leave an orphaned
        # socket retransmitting into a zero window for minutes, and this read would hang). The
        # disconnect is counted once the socket is gone.
        wait_for(lambda: node.metrics().get('wsbridge_disconnects_total{code="1008"}', 0) >= 1,
                 what="the slow consumer's socket to be dropped")
        texts, close_code = slow.read_until_closed(timeout=10)
        assert len(texts) < total, "the slow client was cut off"
        assert close_code in (None, 1008)
        slow.close()
