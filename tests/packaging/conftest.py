"""Fixtures of the packaging tests: the .deb (built at most once per run), the rendered man
pages and a wsbridge binary for the checks that need one."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from debtools import ROOT, deb_path, find_binary, newest_input_mtime, render, run  # noqa: E402


@pytest.fixture(scope="session")
def deb():
    """The .deb under test: $WSBRIDGE_DEB if set; else dist/'s package for this version, built
    with "make deb" when it is missing or older than what it is built from (once per run)."""
    given = os.environ.get("WSBRIDGE_DEB")
    if given:
        assert os.path.isfile(given), f"WSBRIDGE_DEB={given} does not exist"
        return given
    path = deb_path()
    if not os.path.isfile(path) or os.path.getmtime(path) < newest_input_mtime():
        result = subprocess.run(["make", "deb"], cwd=ROOT)
        assert result.returncode == 0, "make deb failed"
    assert os.path.isfile(path), f"make deb did not produce {path}"
    return path


@pytest.fixture(scope="session")
def man_pages(tmp_path_factory):
    """{page name: path} of the pages rendered by man/render.py, as "make man" renders them."""
    outdir = tmp_path_factory.mktemp("man")
    run(sys.executable, "man/render.py", str(outdir))
    return {name: str(outdir / name) for name in render.PAGES}


@pytest.fixture(scope="session")
def config_keys():
    """[(key, default, summary, reloadable)] from examples/wsbridge.conf."""
    return render.config_keys()


@pytest.fixture(scope="session")
def wsbridge_bin():
    path = find_binary()
    if path is None:
        pytest.skip("no wsbridge binary: run swift build (or set WSBRIDGE_BIN)")
    return path
