#!/usr/bin/env python3
"""Medians of bench/run.sh's JSON results, with wsbridge's ratios to floor, nio-floor and Nchan, as Markdown.

usage: bench/summarize.py RESULTS_DIR   (files named SCENARIO.TARGET.RUN.json)
"""
import json
import os
import statistics
import sys
from collections import defaultdict

METRICS = [
    # (label, path in the report, unit)
    ("connects/s", ("connections", "per_second"), "/s"),
    ("RSS/connection", ("server", "rss_per_connection_bytes"), "B"),
    # The kernel's, beside it (idle; loopback: both ends of each connection, and the server's socket's share)
    ("kernel TCP buffers/connection, both ends", ("kernel", "tcp_buffer_bytes_per_connection"), "B"),
    ("kernel socket objects/connection, both ends", ("kernel", "socket_slab_bytes_per_connection"), "B"),
    ("kernel per server socket", ("kernel", "bytes_per_server_socket"), "B"),
    ("server CPU/connect", ("server", "cpu_microseconds_per_connect"), "µs"),
    ("connects per server CPU-second", ("server", "connects_per_cpu_second"), "/s"),
    ("load CPU/connect", ("connections", "load_cpu_microseconds_per_connect"), "µs"),
    ("load cores busy while connecting", ("connections", "load_busy_cores"), ""),
    ("deliveries/s", ("deliveries", "per_second"), "/s"),
    ("server CPU/delivery", ("server", "cpu_microseconds_per_delivery"), "µs"),
    ("server CPU/message", ("server", "cpu_microseconds_per_message"), "µs"),
    ("Redis CPU/message", ("redis", "cpu_microseconds_per_message"), "µs"),
    ("Redis CPU/delivery", ("redis", "cpu_microseconds_per_delivery"), "µs"),
    ("reply p50", ("publish", "ack_p50_microseconds"), "µs"),
    ("reply p99", ("publish", "ack_p99_microseconds"), "µs"),
    ("latency p50", ("latency_microseconds", "p50"), "µs"),
    ("latency p99", ("latency_microseconds", "p99"), "µs"),
    ("latency p99.9", ("latency_microseconds", "p999"), "µs"),
    ("latency max", ("latency_microseconds", "max"), "µs"),
    ("load tool cores busy", ("load", "busy_cores"), ""),
    ("subscription back after CLIENT KILL", ("catchup", "relinked_ms"), "ms"),
    ("caught up after CLIENT KILL", ("catchup", "caught_up_ms"), "ms"),
    ("messages recovered per catch-up", ("catchup", "recovered_messages"), ""),
]


# Targets in column order; wsbridge-coalesced is wsbridge with a write-coalescing window,
# wsbridge-durable is wsbridge with its messages published by FCALL wsbridge_publish (durable),
# wsbridge-receipt with app-socket publishes that ask for a receipt, wsbridge-base another commit's build,
# wsbridge-embedded wsbridge without Redis and wsbridge-base-embedded the other build without Redis.
OURS = ("wsbridge", "wsbridge-coalesced", "wsbridge-durable", "wsbridge-receipt", "wsbridge-base", "wsbridge-tls",
        "wsbridge-deflate", "wsbridge-embedded", "wsbridge-base-embedded")
BASELINES = ("floor", "nio-floor", "nchan", "nchan-deflate")
TARGETS = OURS + BASELINES


def get(report, path):
    value = report
    for key in path:
        if not isinstance(value, dict) or key not in value or value[key] is None:
            return None
        value = value[key]
    return value


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = sys.argv[1]
    runs = defaultdict(list)  # (scenario, target) -> [report]
    failed = defaultdict(int)
    for name in sorted(os.listdir(folder)):
        parts = name.split(".")
        if len(parts) != 4 or parts[3] != "json":
            continue
        scenario, target = parts[0], parts[1]
        try:
            with open(os.path.join(folder, name)) as f:
                report = json.load(f)
        except (OSError, ValueError):
            failed[(scenario, target)] += 1
            continue
        if not report.get("complete"):
            failed[(scenario, target)] += 1
        runs[(scenario, target)].append(report)

    scenarios = sorted({s for s, _ in runs} | {s for s, _ in failed})
    print(f"# Results in {folder}\n")
    print("Medians of the runs; a run that was not complete (lost connections or deliveries) is counted")
    print("under 'incomplete' and still part of the median: look at its JSON.\n")
    for scenario in scenarios:
        targets = [t for t in TARGETS if (scenario, t) in runs or (scenario, t) in failed]
        ratios = [(ours, other) for ours in OURS for other in BASELINES if ours in targets and other in targets]
        for variant in ("wsbridge-durable", "wsbridge-receipt", "wsbridge-base", "wsbridge-tls", "wsbridge-deflate",
                        "wsbridge-embedded"):
            if variant in targets and "wsbridge" in targets:
                ratios.append((variant, "wsbridge"))
        if "wsbridge-base-embedded" in targets and "wsbridge-embedded" in targets:
            ratios.append(("wsbridge-base-embedded", "wsbridge-embedded"))
        if "nio-floor" in targets and "floor" in targets:
            ratios.append(("nio-floor", "floor"))
        if "nchan-deflate" in targets and "nchan" in targets:
            ratios.append(("nchan-deflate", "nchan"))
        print(f"## {scenario}\n")
        header = "| metric | " + " | ".join(targets)
        for ours, other in ratios:
            header += f" | {ours}/{other}"
        print(header + " |")
        print("|" + "---|" * (header.count("|")))
        medians = {}
        for label, path, unit in METRICS:
            row = {}
            for target in targets:
                values = [v for v in (get(r, path) for r in runs[(scenario, target)]) if isinstance(v, (int, float))]
                if values:
                    row[target] = statistics.median(values)
            if not row:
                continue
            medians[label] = row
            cells = [f"{row[t]:.2f} {unit}".strip() if t in row else "-" for t in targets]
            line = f"| {label} | " + " | ".join(cells)
            for ours, other in ratios:
                if ours in row and other in row and row[other]:
                    line += f" | {row[ours] / row[other]:.2f}×"
                else:
                    line += " | -"
            print(line + " |")
        counts = ", ".join(f"{t}: {len(runs[(scenario, t)])} runs, {failed[(scenario, t)]} incomplete" for t in targets)
        print(f"\n{counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
