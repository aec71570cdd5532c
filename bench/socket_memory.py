#!/usr/bin/env python3
"""Kernel memory per idle loopback TCP connection (docs/scaling.md, "A plan for 1,000,000 connections").

    bench/socket_memory.py [--pairs 8000]

Opens PAIRS loopback TCP connections (a listener on 127.0.0.1, PAIRS clients, PAIRS accepted sockets:
2 x PAIRS file descriptors, so stay under `ulimit -n`), exchanges a small request and answer on each (as
a WebSocket handshake does) and reads both ends dry, then reads /proc/meminfo (Slab, the kernel's
object caches: struct tcp_sock, socket inodes, files, dentries...) and /proc/net/sockstat (TCP buffer
pages in use) before and after. Prints the difference per socket end, i.e. per connection as one
server holds it: a server holding N idle connections holds N such ends (the clients' ends are on
other machines). The accepted ends are also registered with an epoll instance, as an event-loop server
does. Other processes on the machine allocate too: run it twice, on a quiet machine.
"""
import argparse
import json
import select
import socket


def meminfo_kib(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def tcp_pages():
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                words = line.split()
                return int(words[words.index("mem") + 1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8000)
    args = parser.parse_args()
    page = 4096
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    address = listener.getsockname()
    poller = select.epoll()
    slab0, tcp0 = meminfo_kib("Slab"), tcp_pages()
    clients, servers = [], []
    for _ in range(args.pairs):
        client = socket.create_connection(address, timeout=5)
        server, _ = listener.accept()
        client.sendall(b"GET /ws HTTP/1.1\r\n" + b"x" * 200 + b"\r\n\r\n")
        server.recv(4096)
        server.sendall(b"HTTP/1.1 101 Switching Protocols\r\n" + b"y" * 120 + b"\r\n\r\n")
        client.recv(4096)
        poller.register(server.fileno(), select.EPOLLIN)
        clients.append(client)
        servers.append(server)
    slab1, tcp1 = meminfo_kib("Slab"), tcp_pages()
    ends = 2 * args.pairs
    result = {
        "pairs": args.pairs,
        "slab_bytes_per_end": round((slab1 - slab0) * 1024 / ends),
        "tcp_buffer_bytes_per_end": round((tcp1 - tcp0) * page / ends),
    }
    result["kernel_bytes_per_end"] = result["slab_bytes_per_end"] + result["tcp_buffer_bytes_per_end"]
    print(json.dumps(result))
    for s in clients + servers:
        s.close()
    poller.close()
    listener.close()


if __name__ == "__main__":
    main()
