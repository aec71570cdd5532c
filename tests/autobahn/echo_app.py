#!/usr/bin/env python3
"""An app on wsbridge's app socket that echoes every client message back to its connection: the echo
server the Autobahn TestSuite's fuzzingclient expects, with wsbridge's edge in front of it.

usage: echo_app.py APP_SOCKET      (runs until the daemon closes the socket)

It attaches for the path /ws; with `auth = insecure-query` each connection is offered to it already
authenticated. Each `message` event (text as a JSON string, binary as base64) goes back as a `send`
with the same data, so what Autobahn checks is wsbridge's WebSocket edge, not this app.
"""
import json
import socket
import struct
import sys


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(sys.argv[1])
    reader = sock.makefile("rb", buffering=1 << 20)

    def send(message):
        body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
        sock.sendall(struct.pack(">I", len(body)) + body)

    def read():
        head = reader.read(4)
        if len(head) < 4:
            return None
        (length,) = struct.unpack(">I", head)
        return json.loads(reader.read(length))

    send({"type": "hello", "protocol": 1, "name": "autobahn-echo", "paths": ["/ws"]})
    while True:
        event = read()
        if event is None:
            return 0
        if event.get("type") == "message":
            echo = {"type": "send", "conn": event["conn"], "data": event["data"]}
            if event.get("binary"):
                echo["binary"] = True
            send(echo)
        elif event.get("type") == "error" and event.get("code") != "unknown_conn":
            # unknown_conn is expected: an echo for a connection a case already closed.
            print(f"echo_app: {event}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
