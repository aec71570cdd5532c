import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Node, RedisServer  # noqa: E402


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


@pytest.fixture
def nodes(workdir):
    """A factory for wsbridge processes; every one started is stopped at the end."""
    started = []

    def start(name, *args):
        node = Node(workdir, name, list(args))
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()
