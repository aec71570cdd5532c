"""Helpers of the packaging tests (a module of its own, so that running tests/integration and
tests/packaging in one pytest session cannot mix up the two conftest.py files)."""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "man"))
import render  # noqa: E402  (man/render.py: the man page generator and its config-key parser)

# What the package is built from: a .deb older than any of these is rebuilt.
DEB_INPUTS = ["Sources", "Package.swift", "packaging", "man", "examples", "docs", "README.md", "LICENSE"]


def run(*args, check=True, **kwargs):
    """Runs a command and returns the CompletedProcess, text mode, both streams captured."""
    kwargs.setdefault("cwd", ROOT)
    result = subprocess.run(list(args), capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited with {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def product_version():
    return render.version()


def debian_version():
    return run("dpkg-parsechangelog", "-l", "packaging/changelog", "-S", "Version").stdout.strip()


def deb_path():
    arch = run("dpkg", "--print-architecture").stdout.strip()
    return os.path.join(ROOT, "dist", f"wsbridge_{debian_version()}_{arch}.deb")


def newest_input_mtime():
    newest = 0.0
    for name in DEB_INPUTS:
        path = os.path.join(ROOT, name)
        if os.path.isfile(path):
            newest = max(newest, os.path.getmtime(path))
        for dirpath, _, files in os.walk(path):
            for f in files:
                newest = max(newest, os.path.getmtime(os.path.join(dirpath, f)))
    return newest


def find_binary():
    """A wsbridge binary of this tree: $WSBRIDGE_BIN, else the debug or release build."""
    given = os.environ.get("WSBRIDGE_BIN")
    if given:
        return given
    for candidate in (".build/debug/wsbridge", ".build/release/wsbridge"):
        path = os.path.join(ROOT, candidate)
        if os.access(path, os.X_OK):
            return path
    return None


def require_tool(name):
    if shutil.which(name) is None:
        pytest.fail(f"{name} is not installed: run scripts/setup-debian.sh")


def long_options(help_text):
    """The --long options named in an ArgumentParser help text."""
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text)))
