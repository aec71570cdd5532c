"""A RESP2 client on a plain socket, for the cluster tests: it stays subscribed and sees every push."""

import socket


class RespClient:
    """A RESP2 connection on a plain socket: for what redis-cli will not do (stay subscribed, see pushes)."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(out)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def read(self, timeout=None):
        """The next reply: str for status, RespError for errors, int, bytes or None, lists. Raises
        EOFError when the server closed the connection, TimeoutError when nothing came in time."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size)
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self.read() for _ in range(size)]
        raise AssertionError(f"not RESP: {line!r}")

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buffer += data

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _exactly(self, size):
        while len(self.buffer) < size + 2:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
        return data

    def close(self):
        self.sock.close()


class RespError(str):
    """An error reply (its text, without the "-")."""
