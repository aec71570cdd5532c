import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Node, RedisServer, print_log_tails  # noqa: E402


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="wsbridge-it-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def redis_server(workdir):
    server = RedisServer(workdir)
    server.start()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


@pytest.fixture
def nodes(workdir, request):
    """A factory for wsbridge processes; every one started is stopped at the end. When the test failed,
    the end of each node's log is printed (pytest shows it under "Captured stdout teardown"), so a
    failure seen once in CI can be read afterwards."""
    started = []

    def start(name, *args):
        node = Node(workdir, name, list(args))
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()
    print_log_tails(request, started)
