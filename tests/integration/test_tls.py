"""The TLS listener (tls_cert, tls_key): wss:// with real certificates made by openssl, a plain client
refused, the pair re-read on SIGHUP (a bad file keeps the old one), and start-up errors that name the
file and what is wrong with it."""

import os
import signal
import socket
import ssl
import subprocess

import pytest
from websockets.sync.client import connect

from harness import EventStream, RawApp, RawWebSocket, wait_for, wsbridge_binary


def make_pair(workdir, name):
    """A self-signed certificate for 127.0.0.1 and its key: (certificate path, key path)."""
    certificate, key = os.path.join(workdir, f"{name}.crt"), os.path.join(workdir, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", certificate], check=True, capture_output=True, timeout=30)
    return certificate, key


def client_context(certificate):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.load_verify_locations(certificate)
    return context


def served_certificate(port):
    """The PEM certificate the listener presents now."""
    return ssl.get_server_certificate(("127.0.0.1", port), timeout=5)


def same_certificate(pem_a, pem_b):
    return ssl.PEM_cert_to_DER_cert(pem_a) == ssl.PEM_cert_to_DER_cert(pem_b)


def test_wss_serves_clients_refuses_plain_ones_and_reloads_its_certificate(workdir, nodes):
    certificate, key = make_pair(workdir, "first")
    node = nodes("tls", "--auth", "insecure-query", "--tls-cert", certificate, "--tls-key", key)
    listening = [e for e in node.log_entries() if e.get("msg") == "listening" and e.get("wsb.listener") == "websocket"]
    assert listening[0]["wsb.scheme"] == "wss"
    app = RawApp(node.app_socket, paths=())
    url = f"wss://127.0.0.1:{node.port}/ws?user=alice"
    with connect(url, ssl=client_context(certificate)) as alice:
        wait_for(lambda: app.request({"type": "presence", "users": ["alice"]})["users"]["alice"]["sessions"] == 1,
                 what="alice connected over TLS")
        assert app.request({"type": "publish", "user": "alice", "data": "over tls"})["type"] == "ok"
        assert alice.recv(timeout=5) == "over tls"

        # The server-sent-events fallback is served over TLS too (https://…/sse).
        stream = EventStream(node.address, "/sse?user=alice", ssl_context=client_context(certificate))
        assert stream.status == 200 and stream.next_event()["event"] == "ready"
        assert app.request({"type": "publish", "user": "alice", "data": "to both"})["type"] == "ok"
        assert alice.recv(timeout=5) == "to both" and stream.messages(1) == ["to both"]
        stream.close()

        # A client that does not speak TLS is never upgraded.
        try:
            plain = RawWebSocket(node.port, "/ws?user=mallory")
            assert plain.status != 101, "a plain handshake on the TLS port must not upgrade"
            plain.close()
        except (AssertionError, ConnectionError, ValueError, IndexError, socket.timeout) as refused:
            assert "101" not in str(refused)

        # A renewed certificate at the same path is served to new connections after SIGHUP.
        with open(os.path.join(workdir, "first.crt")) as f:
            first_pem = f.read()
        second_certificate, second_key = make_pair(workdir, "second")
        os.replace(second_certificate, certificate)
        os.replace(second_key, key)
        node.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any(e.get("msg") == "TLS certificate and key loaded" for e in node.log_entries()),
                 what="the pair reloaded")
        with open(certificate) as f:
            second_pem = f.read()
        wait_for(lambda: same_certificate(served_certificate(node.port), second_pem), what="the new certificate served")
        assert not same_certificate(second_pem, first_pem)
        with connect(url.replace("alice", "bob"), ssl=client_context(certificate)) as bob:
            assert app.request({"type": "publish", "users": ["alice", "bob"], "data": "both"})["type"] == "ok"
            assert bob.recv(timeout=5) == "both"
        assert alice.recv(timeout=5) == "both", "a connection open before the reload stays"

        # A file that is no PEM at all fails the reload's config check; one whose PEM does not parse
        # fails the load: either way the pair in use stays, and the log says why.
        with open(certificate, "w") as f:
            f.write("not a certificate\n")
        node.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any(e.get("msg") == "configuration reload rejected; keeping the running configuration"
                             for e in node.log_entries()), what="the file without PEM refused")
        rejected = [e for e in node.log_entries() if e.get("msg", "").startswith("configuration reload rejected")][-1]
        assert f"{certificate} holds no PEM block" in rejected["wsb.error"], rejected
        with open(certificate, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        node.process.send_signal(signal.SIGHUP)
        wait_for(lambda: any(e.get("msg") == "TLS certificate not reloaded: new connections keep the certificate loaded before"
                             for e in node.log_entries()), what="the broken PEM refused")
        refusal = [e for e in node.log_entries() if e.get("msg", "").startswith("TLS certificate not reloaded")][-1]
        assert f"tls_cert {certificate} holds no PEM certificate" in refusal["wsb.error"], refusal
        assert same_certificate(served_certificate(node.port), second_pem)
    assert node.stop() == 0


def test_a_missing_or_mismatched_file_stops_the_start_with_its_name(workdir):
    certificate, key = make_pair(workdir, "one")
    _, other_key = make_pair(workdir, "two")
    missing = os.path.join(workdir, "missing.key")
    base = [wsbridge_binary(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "off",
            "--app-socket", os.path.join(workdir, "app.sock"), "--auth", "insecure-query"]

    checked = subprocess.run([wsbridge_binary(), "check-config", "--config", "/dev/null"], capture_output=True, text=True)
    assert checked.returncode == 0, checked
    unreadable = subprocess.run(base + ["--tls-cert", certificate, "--tls-key", missing],
                                capture_output=True, text=True, timeout=30)
    assert unreadable.returncode != 0
    assert f"--tls-key: cannot read {missing}: No such file or directory" in unreadable.stderr, unreadable.stderr

    alone = subprocess.run(base + ["--tls-cert", certificate], capture_output=True, text=True, timeout=30)
    assert alone.returncode != 0 and "--tls-cert: needs tls_key" in alone.stderr, alone.stderr

    mismatched = subprocess.run(base + ["--tls-cert", certificate, "--tls-key", other_key],
                                capture_output=True, text=True, timeout=30)
    assert mismatched.returncode == 1, mismatched
    assert "cannot start" in mismatched.stderr
    assert f"tls_key {other_key} is not the key of the certificate in {certificate}" in mismatched.stderr, mismatched.stderr
