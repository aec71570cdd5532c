#!/usr/bin/env python3
"""Start-up time and idle memory of wsbridge binaries (docs/benchmarks.md, "A lean binary").

    bench/startup.py [--rounds N] BINARY...

Starts each BINARY N times (default 5; the binaries take turns, so a busy moment hits them alike)
as `serve` on the embedded broker with every listener on a free loopback port, and measures the time
from the start of the process to its log line `msg=listening ... wsb.listener=websocket`, then its RSS
(`ps -o rss`) one second later, idle. Each daemon is stopped with SIGTERM. Prints the median, the
lowest and the highest of each.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time


def once(binary):
    workdir = tempfile.mkdtemp(prefix="wsbridge-startup-")
    try:
        started = time.monotonic()
        daemon = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
             "--app-socket", os.path.join(workdir, "app.sock"), "--auth", "insecure-query"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            listening = None
            for line in daemon.stderr:
                if "msg=listening" in line and "wsb.listener=websocket" in line:
                    listening = (time.monotonic() - started) * 1000
                    break
            if listening is None:
                raise SystemExit(f"{binary} exited before listening")
            time.sleep(1.0)
            rss = int(subprocess.run(["ps", "-o", "rss=", "-p", str(daemon.pid)],
                                     capture_output=True, text=True, check=True).stdout)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
        return listening, rss
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    results = {binary: [] for binary in args.binaries}
    for _ in range(args.rounds):
        for binary in args.binaries:
            results[binary].append(once(binary))
    for binary, runs in results.items():
        times = sorted(run[0] for run in runs)
        rss = sorted(run[1] for run in runs)
        print(f"{binary}: start to listening {statistics.median(times):.1f} ms (min {times[0]:.1f}, "
              f"max {times[-1]:.1f}); idle RSS {statistics.median(rss):.0f} KiB (min {rss[0]}, max {rss[-1]})")


if __name__ == "__main__":
    main()
