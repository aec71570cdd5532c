import os
import shutil
import sys
import tempfile

import pytest

# The cluster tests run wsbridge hosts as the integration tests do and count messages as the fault suite
# does: reuse both harnesses.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "faults"))
sys.path.insert(0, HERE)
from cluster_harness import RedisCluster  # noqa: E402


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="wsbridge-cluster-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cluster(workdir):
    """A fresh 3-master, 3-replica cluster per test (tests kill and reshard it)."""
    with RedisCluster(workdir) as started:
        print(f"cluster created in {started.created_in:.2f} s")
        yield started


@pytest.fixture
def hosts(workdir, cluster, request):
    """A factory for wsbridge hosts on the cluster (`--redis-cluster` with two seed nodes); every one
    started is stopped at the end, and its log's end printed when the test failed."""
    from harness import Node, print_log_tails
    started = []
    seeds = ",".join(f"redis://{node.address}" for node in cluster.nodes[:2])

    def start(name, *args):
        node = Node(workdir, name, ["--redis-cluster", seeds, "--auth", "insecure-query", *args])
        started.append(node)
        return node

    start.seeds = seeds
    yield start
    for node in started:
        node.stop()
    print_log_tails(request, started)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)
