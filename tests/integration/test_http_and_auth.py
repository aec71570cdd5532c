"""HTTP behaviour of the public listener and the jwt / insecure-query auth modes, with real clients."""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import signal
import subprocess
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from harness import wait_for

SECRET = "0123456789abcdef0123456789abcdef-test-secret"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims, secret=SECRET, alg="HS256", kid=None):
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header = b64(json.dumps(header).encode())
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
    with connect(node.url(), additional_headers={"Authorization": "Bearer " + token({"sub": "bob", "exp": now + 60})}) as ws:
        ws.ping().wait(5)
    for bad, code in [(token({"sub": "x", "exp": now - 3600}), "expired"),
                      (token({"sub": "x", "exp": now + 60}, secret="wrong" * 8), "bad_signature"),
                      (token({"sub": "x"}, alg="none"), "unsupported_algorithm"), ("garbage", "malformed"),
                      (token({"sub": "x"}), "missing_exp")]:
        assert refusal(node, bad) == (401, "invalid token: " + code)
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url())
    assert refused.value.response.status_code == 401


def refusal(node, bad_token):
    """The status and body of the answer to an upgrade with `bad_token`."""
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url(token=bad_token))
    response = refused.value.response
    return response.status_code, response.body.decode().strip()


def test_jwt_claim_rules_issuer_audience_and_tokens_without_exp(nodes, workdir):
    secret_file = os.path.join(workdir, "secret")
    with open(secret_file, "w") as f:
        f.write(SECRET)
    node = nodes("host1", "--auth", "jwt", "--jwt-secret-file", secret_file, "--jwt-issuer", "https://id.example",
                 "--jwt-audience", "wsbridge,chat", "--jwt-require-exp", "off")
    good = {"sub": "alice", "iss": "https://id.example", "aud": ["billing", "chat"]}
    with connect(node.url(token=token(good))) as ws:  # no exp: allowed with --jwt-require-exp off
        ws.ping().wait(5)
    assert refusal(node, token(dict(good, iss="https://evil.example"))) == (401, "invalid token: bad_issuer")
    assert refusal(node, token(dict(good, aud="billing"))) == (401, "invalid token: bad_audience")
    assert refusal(node, token({"sub": "alice", "aud": "chat"})) == (401, "invalid token: bad_issuer")


def jwks(*keys):
    """A JWKS of HS256 (oct) keys: (kid, secret) pairs."""
    return json.dumps({"keys": [{"kty": "oct", "kid": kid, "k": b64(secret.encode()), "alg": "HS256", "use": "sig"}
                                for kid, secret in keys]})


def test_jwks_keys_rotate_on_sighup_and_a_broken_file_keeps_the_old_keys(nodes, workdir):
    old, new = "old-secret-0123456789abcdef0123456789", "new-secret-0123456789abcdef0123456789"
    keys_file = os.path.join(workdir, "jwks.json")
    config = os.path.join(workdir, "wsbridge.conf")
    with open(keys_file, "w") as f:
        f.write(jwks(("2026-11", old)))
    with open(config, "w") as f:
        f.write(f"auth = jwt\njwt_jwks_file = {keys_file}\n")
    node = nodes("host1", "--config", config)
    exp = int(time.time()) + 600
    signed_old = token({"sub": "alice", "exp": exp}, secret=old, kid="2026-11")
    signed_new = token({"sub": "alice", "exp": exp}, secret=new, kid="2026-12")
    with connect(node.url(token=signed_old)) as kept:
        assert refusal(node, signed_new) == (401, "invalid token: unknown_key")

        def reload(what):
            before = len([e for e in node.log_entries() if e.get("msg") in what])
            node.process.send_signal(signal.SIGHUP)
            wait_for(lambda: len([e for e in node.log_entries() if e.get("msg") in what]) > before, what=str(what))

        # Step 1: publish the new key beside the old one.
        with open(keys_file, "w") as f:
            f.write(jwks(("2026-11", old), ("2026-12", new)))
        reload({"configuration reloaded"})
        for signed in (signed_old, signed_new):
            with connect(node.url(token=signed)) as ws:
                ws.ping().wait(5)
        # Step 2: drop the old key; its tokens are refused, the open connection stays.
        with open(keys_file, "w") as f:
            f.write(jwks(("2026-12", new)))
        reload({"configuration reloaded"})
        assert refusal(node, signed_old) == (401, "invalid token: unknown_key")
        with connect(node.url(token=signed_new)) as ws:
            ws.ping().wait(5)
        kept.ping().wait(5)
        # A broken file is refused as a whole: the keys in use stay.
        with open(keys_file, "w") as f:
            f.write('{"keys":[{"kty":"oct","kid":"x","k":"too short"}]}')
        reload({"configuration reload rejected; keeping the running configuration"})
        rejected = [e for e in node.log_entries() if "reload rejected" in e.get("msg", "")][-1]
        assert rejected["wsb.error"] == 'configuration: jwt_jwks_file: key 1 (kid "x"): "k" is not unpadded base64url'
        with connect(node.url(token=signed_new)) as ws:
            ws.ping().wait(5)


def test_check_config_and_serve_refuse_a_jwks_without_a_usable_key(workdir):
    from harness import wsbridge_binary
    keys_file = os.path.join(workdir, "jwks.json")
    with open(keys_file, "w") as f:
        f.write('{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}')
    config = os.path.join(workdir, "jwks.conf")
    with open(config, "w") as f:
        f.write(f"auth = jwt\njwt_jwks_file = {keys_file}\nlisten = 127.0.0.1:0\nadmin_listen = off\n"
                f"app_socket = {workdir}/jwks-app.sock\n")
    expected = f"{config}: jwt_jwks_file: the JWKS file has no RS256 (kty RSA) or HS256 (kty oct) signing key; 1 other keys skipped"
    checked = subprocess.run([wsbridge_binary(), "check-config", "--config", config], capture_output=True, text=True, timeout=30)
    assert (checked.returncode, checked.stderr.strip()) == (1, expected)
    served = subprocess.run([wsbridge_binary(), "serve", "--config", config], capture_output=True, text=True, timeout=30)
    assert served.returncode == 1
    assert "jwt_jwks_file: the JWKS file has no RS256" in served.stderr, served.stderr


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


def test_a_frame_that_cannot_be_read_gets_its_close_frame_then_the_end_of_the_stream(nodes):
    """A frame header that breaks RFC 6455 (a fragmented ping): the client is sent close 1002, then the
    server shuts its side at once, not after close_timeout (Autobahn 5.1: the server closes TCP first),
    while what the client still sends is read and dropped."""
    import socket
    node = nodes("host1", "--auth", "insecure-query", "--close-timeout", "10s")
    host, port = node.address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall((f"GET /ws?user=a HTTP/1.1\r\nHost: {node.address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response
    started = time.monotonic()
    sock.sendall(bytes([0x09, 0x80, 1, 2, 3, 4]) + b"x" * 5000)  # a ping without FIN, then garbage
    received = response.split(b"\r\n\r\n", 1)[1]
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    assert time.monotonic() - started < 5, "the stream ended without waiting for close_timeout"
    assert received[0] == 0x88 and int.from_bytes(received[2:4], "big") == 1002, received
    sock.sendall(b"still sending")  # the server's side is shut, ours is open: no error here
    sock.close()


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


def test_max_connections_per_user_answers_429_before_the_upgrade(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--max-connections-per-user", "2")
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(connect(node.url(user="alice")))
        stack.enter_context(connect(node.url(user="alice")))
        with pytest.raises(InvalidStatus) as refused:
            connect(node.url(user="alice"))
        response = refused.value.response
        assert response.status_code == 429
        assert response.body.decode() == "user already holds 2 connections (max_connections_per_user)\n"
        with connect(node.url(user="bob")) as bob:  # another user is not affected
            bob.ping().wait(5)
        first.close()
        wait_for(lambda: node.metrics().get('wsbridge_connections_open{path="/ws"}') == 1, what="the close")
        with connect(node.url(user="alice")) as third:  # a freed place can be taken again
            third.ping().wait(5)
        assert node.metrics()['wsbridge_limit_hits_total{limit="max_connections_per_user"}'] == 1


def test_a_request_head_over_max_request_head_bytes_gets_431_and_is_counted(nodes):
    node = nodes("host1", "--auth", "insecure-query", "--max-request-head-bytes", "2KiB")
    with pytest.raises(InvalidStatus) as refused:
        connect(node.url(user="alice"), additional_headers={"X-Padding": "a" * 2048})
    response = refused.value.response
    assert response.status_code == 431
    assert response.body.decode() == "request head exceeds 2048 bytes (max_request_head_bytes)\n"
    assert node.metrics()['wsbridge_limit_hits_total{limit="max_request_head_bytes"}'] == 1
    with connect(node.url(user="alice"), additional_headers={"X-Padding": "a" * 1500}) as alice:  # within: opens
        alice.ping().wait(5)
