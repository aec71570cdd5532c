"""HTTP behaviour of the public listener and the jwt / insecure-query auth modes, with real clients."""

import base64
import hashlib
import hmac
import json
import os
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import wait_for

SECRET = "0123456789abcdef0123456789abcdef-test-secret"


def token(claims, secret=SECRET, alg="HS256"):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def test_http_routes(nodes):
    node = nodes("host1", "--auth", "insecure-query")
    assert node.http("/healthz") == (200, "ok\n"), "the embedded broker is always linked"
    assert node.http("/nope")[0] == 404
    assert node.http("/ws")[0] == 426


def test_insecure_query_refuses_a_missing_user_with_401(nodes):
    node = nodes("host1", "--auth", "insecure-query")
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url())
    assert refused.value.response.status_code == 401
    assert any("insecure-query" in e.get("msg", "") for e in node.log_entries()), "the mode is loudly logged"


def test_jwt_mode_accepts_a_good_token_and_refuses_bad_ones(workdir, nodes):
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    node = nodes("host1", "--auth", "jwt", "--jwt-secret-file", secret_file)
    now = int(time.time())
    with connect(node.url(token=token({"sub": "alice", "exp": now + 60}))) as ws:
        ws.send("hi")  # accepted: the connection stays open
        ws.ping().wait(5)
    with connect(node.url(), additional_headers={"Authorization": "Bearer " + token({"sub": "bob"})}) as ws:
        ws.ping().wait(5)
    for bad in [token({"sub": "x", "exp": now - 3600}), token({"sub": "x"}, secret="wrong" * 8),
                token({"sub": "x"}, alg="none"), "garbage"]:
        with pytest.raises(InvalidStatus) as refused:
            connect(node.url(token=bad))
        assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url())
    assert refused.value.response.status_code == 401


def test_origin_allowlist(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--allowed-origins", "https://app.example")
    with connect(node.url(user="a"), origin="https://app.example") as ws:
        ws.ping().wait(5)
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url(user="a"), origin="https://evil.example")
    assert refused.value.response.status_code == 403


def test_app_mode_without_an_app_answers_503(nodes):
    node = nodes("host1")
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url(user="a"))
    assert refused.value.response.status_code == 503


def test_client_messages_and_close_codes(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--max-message-bytes", "1KiB")
    with connect(node.url(user="a")) as ws:
        ws.send("x" * 2000)
        with pytest.raises(Exception):
            ws.recv(timeout=5)
        assert ws.close_code == 1009


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to drop to another user")
def test_the_daemon_serves_clients_when_not_running_as_root(workdir):
    """Regression: TCP_NODELAY was set at the socket level (where its number means SO_DEBUG), which
    only root may set; as any other user every accepted connection was dropped."""
    import shutil
    import subprocess
    from harness import free_port, wsbridge_binary
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    os.chmod(workdir, 0o777)
    port = free_port()
    process = subprocess.Popen(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", wsbridge_binary(), "serve",
         "--listen", f"127.0.0.1:{port}", "--auth", "insecure-query", "--admin-listen", "off",
         "--app-socket", os.path.join(workdir, "nobody.sock")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import urllib.request
        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False
        wait_for(healthy, what="/healthz from a daemon running as nobody")
        with connect(f"ws://127.0.0.1:{port}/ws?user=n") as ws:
            ws.ping().wait(5)
    finally:
        process.terminate()
        process.wait(timeout=15)
