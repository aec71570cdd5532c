"""Headless Chromium driven over the Chrome DevTools Protocol (a WebSocket), for tests that must act in a
real page: type, click, wait for what the page shows. Started here, remembered by PID, ended by PID."""

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request

from websockets.sync.client import connect

from harness import wait_for


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page."""

    def __init__(self, workdir):
        profile = os.path.join(workdir, "chromium-cdp")
        os.makedirs(profile, exist_ok=True)
        self.process = subprocess.Popen(
            [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            active = os.path.join(profile, "DevToolsActivePort")
            port = int(wait_for(lambda: self._first_line(active), timeout=30, what="Chromium's DevTools port"))
            pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
            page = next(p for p in pages if p.get("type") == "page")
            self.connection = contextlib.ExitStack()
            self.cdp = self.connection.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10))
        except BaseException:
            self.close()
            raise
        self.next_id = 0

    @staticmethod
    def _first_line(path):
        try:
            with open(path) as f:
                return f.readline().strip() or None
        except FileNotFoundError:
            return None

    def call(self, method, **params):
        self.next_id += 1
        self.cdp.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.cdp.recv(timeout=30))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def open(self, url):
        self.call("Page.navigate", url=url)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, timeout=15, what=None):
        """Waits until the expression is truthy in the page; returns its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError:
                value = None  # the page is still loading
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or expression} (last value {value!r})")

    def messages(self):
        return self.evaluate("Array.from(document.querySelectorAll('.msg')).map(e => e.textContent)")

    def close(self):
        connection = getattr(self, "connection", None)
        if connection is not None:
            connection.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
