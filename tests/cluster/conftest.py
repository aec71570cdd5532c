import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
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
