"""wsbridge-bench against real processes: a short smoke run of the load tool, not a benchmark.

It checks that the tool's counts add up (every connection opened, every delivery received) against a
wsbridge daemon behind a real redis-server, through the app socket, and against bench/floor.
"""

import json
import os
import shutil
import subprocess

import pytest

from harness import ROOT, wsbridge_binary


def bench_binary():
    path = os.environ.get("WSBRIDGE_BENCH_BIN", os.path.join(os.path.dirname(wsbridge_binary()), "wsbridge-bench"))
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"wsbridge-bench not found at {path}: run `swift build` or set WSBRIDGE_BENCH_BIN")
    return path


def run_bench(*args, timeout=60):
    result = subprocess.run([bench_binary(), *[str(a) for a in args], "--json"], capture_output=True, text=True,
                            timeout=timeout, env=dict(os.environ, SWIFTNIO_STRICT="1"))
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout)


@pytest.fixture
def daemon(redis_server, nodes):
    return nodes("bench", "--redis", redis_server.url, "--auth", "insecure-query")


def test_idle_holds_every_connection_and_reads_the_daemon_rss(daemon):
    report = run_bench("idle", "--url", daemon.url(), "--connections", 50, "--sources", "127.0.0.1-127.0.0.4",
                       "--server-pid", daemon.process.pid, "--settle", 0.2)
    assert report["complete"], report["problems"]
    assert report["connections"]["opened"] == 50
    assert report["connections"]["failed"] == 0
    assert report["connections"]["per_second"] > 0
    assert report["server"]["rss_after_bytes"] > 0
    assert report["server"]["rss_per_connection_bytes"] is not None
    # The kernel's side, read from /proc (the host's sockets: other processes' come and go meanwhile).
    kernel = report["kernel"]
    assert kernel["page_bytes"] > 0
    assert kernel["tcp_sockets_after"] > 0
    assert kernel["tcp_buffer_bytes_per_connection"] is not None


def test_broadcast_through_redis_delivers_every_message_to_every_connection(daemon, redis_server):
    report = run_bench("broadcast", "--url", daemon.url(), "--connections", 50, "--messages", 20, "--rate", 200,
                       "--redis", redis_server.url, "--server-pid", daemon.process.pid,
                       "--redis-pid", redis_server.process.pid, "--settle", 0.1)
    assert report["complete"], report["problems"]
    assert report["publish"]["acknowledged"] == 20
    assert report["publish"]["receivers_reported"] == 20, "one subscriber (the daemon) got each PUBLISH"
    assert report["deliveries"]["expected"] == 50 * 20
    assert report["deliveries"]["received"] == 50 * 20
    assert report["server"]["cpu_seconds"] is not None
    assert report["load"]["cpu_seconds"] > 0


def test_broadcast_with_a_write_coalescing_window_delivers_everything(redis_server, nodes):
    daemon = nodes("bench-coalesced", "--redis", redis_server.url, "--auth", "insecure-query",
                   "--write-coalesce-window", "20ms")
    report = run_bench("broadcast", "--url", daemon.url(), "--connections", 20, "--messages", 40, "--rate", 200,
                       "--redis", redis_server.url, "--server-pid", daemon.process.pid, "--settle", 0.1)
    assert report["complete"], report["problems"]
    assert report["deliveries"]["received"] == 20 * 40


def test_unicast_through_the_app_socket_and_latency_through_redis(daemon, redis_server):
    report = run_bench("unicast", "--url", daemon.url(), "--connections", 40, "--users", 20, "--messages", 100,
                       "--rate", 1000, "--via", "app", "--app-socket", daemon.app_socket, "--settle", 0.1)
    assert report["complete"], report["problems"]
    # Each user holds two of the 40 connections, so every message is delivered twice.
    assert report["deliveries"]["received"] == report["deliveries"]["expected"] == 200

    report = run_bench("latency", "--url", daemon.url(), "--connections", 20, "--messages", 100, "--rate", 500,
                       "--redis", redis_server.url, "--settle", 0.1)
    assert report["complete"], report["problems"]
    latency = report["latency_microseconds"]
    assert latency["count"] == 100
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]


def test_the_load_spreads_over_child_processes(daemon, redis_server):
    report = run_bench("broadcast", "--url", daemon.url(), "--connections", 30, "--processes", 3, "--messages", 5,
                       "--rate", 100, "--redis", redis_server.url, "--settle", 0.1)
    assert report["complete"], report["problems"]
    assert report["connections"]["processes"] == 3
    assert report["deliveries"]["received"] == 30 * 5


@pytest.fixture
def floor(workdir):
    if shutil.which("gcc") is None or shutil.which("make") is None:
        pytest.skip("bench/floor needs gcc and make")
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "bench", "floor"), "floor"], check=True, timeout=120)
    process = subprocess.Popen([os.path.join(ROOT, "bench", "floor", "floor"), "--listen", "127.0.0.1:0",
                                "--control", "unix:" + os.path.join(workdir, "floor.sock")],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # "floor listening ws=127.0.0.1:PORT control=..."
    try:
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        yield process, fields["ws"], fields["control"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_floor_broadcast_and_unicast_counts(floor):
    process, ws, control = floor
    report = run_bench("broadcast", "--target", "floor", "--url", f"ws://{ws}/ws", "--floor-control", control,
                       "--connections", 50, "--messages", 20, "--rate", 200, "--server-pid", process.pid,
                       "--settle", 0.1)
    assert report["complete"], report["problems"]
    assert report["deliveries"]["received"] == 50 * 20
    assert report["publish"]["receivers_reported"] == 50 * 20, "floor answers each PUBLISH with its recipients"

    report = run_bench("unicast", "--target", "floor", "--url", f"ws://{ws}/ws", "--floor-control", control,
                       "--connections", 50, "--messages", 200, "--rate", 2000, "--settle", 0.1)
    assert report["complete"], report["problems"]
    assert report["deliveries"]["received"] == 200
