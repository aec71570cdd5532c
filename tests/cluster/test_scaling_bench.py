"""bench/scaling.py against real processes: tiny runs that check its counts add up, not a benchmark.

On one Redis and on a 3-master cluster (which the script starts itself), every message published is
delivered once and the CPU figures are there, with channel routing and with per-user routing.
"""

import json
import os
import subprocess
import sys

from harness import ROOT, wsbridge_binary

SCRIPT = os.path.join(ROOT, "bench", "scaling.py")


def scaling(tmp_path, *args, timeout=240):
    out = tmp_path / "scaling.json"
    result = subprocess.run([sys.executable, SCRIPT, "--wsbridge", wsbridge_binary(), "--out", str(out),
                             "--users", "24", "--rate", "200", "--seconds", "0.5", "--runs", "1",
                             "--idle-seconds", "0.2", *args],
                            capture_output=True, text=True, timeout=timeout)
    return result, (json.loads(out.read_text()) if out.exists() else None)


def check_complete(result, report, hosts):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert [row["hosts"] for row in report["medians"]] == hosts
    for run in report["runs"]:
        assert run["complete"], run["problems"]
        assert run["delivered_once"] == run["messages"] == 100
        assert run["redis_us_per_msg"] >= 0 and run["hosts_us_per_msg"] > 0
        assert len([p for p in run["processes"] if p["role"] == "host"]) == run["hosts"]
    assert "| hosts |" in result.stdout, result.stdout


def test_one_redis_every_message_once(tmp_path):
    result, report = scaling(tmp_path, "--hosts", "1,2")
    check_complete(result, report, [1, 2])
    assert {p["role"] for p in report["runs"][0]["processes"]} == {"single", "host"}


def test_cluster_every_message_once_on_the_masters_of_their_slots(tmp_path):
    result, report = scaling(tmp_path, "--redis", "cluster", "--hosts", "2")
    check_complete(result, report, [2])
    run = report["runs"][0]
    assert sorted(p["role"] for p in run["processes"] if p["role"] != "host") == ["master"] * 3 + ["replica"] * 3
    assert run["publish"]["moved"] == 0, "the slots were computed right: no redirect"


def test_per_user_routing_one_redis(tmp_path):
    result, report = scaling(tmp_path, "--routing", "per-user", "--hosts", "1,2")
    check_complete(result, report, [1, 2])
    assert report["settings"]["routing"] == "per-user"


def test_per_user_routing_cluster(tmp_path):
    result, report = scaling(tmp_path, "--redis", "cluster", "--routing", "per-user", "--hosts", "2")
    check_complete(result, report, [2])
    assert report["runs"][0]["publish"]["moved"] == 0
