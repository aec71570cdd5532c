"""`make run` (scripts/demo.sh), as a newcomer runs it: what it prints works as printed, the CLI finds the
demo without flags, and a port in use is named with the variable that moves it."""

import os
import shlex
import signal
import socket
import subprocess
import time

from harness import ROOT, free_port, wait_for, wsbridge_binary


def demo_environment(workdir, **ports):
    env = dict(os.environ, XDG_RUNTIME_DIR=workdir)
    for name, port in ports.items():
        env[name] = f"127.0.0.1:{port}"
    return env


def test_the_demo_prints_commands_that_work_and_the_cli_finds_it(workdir):
    env = demo_environment(workdir, LISTEN=free_port(), ADMIN_LISTEN=free_port(), HTTP=free_port())
    out_path = os.path.join(workdir, "demo.out")
    with open(out_path, "w") as out:
        demo = subprocess.Popen([os.path.join(ROOT, "scripts", "demo.sh")], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def printed():
            with open(out_path) as f:
                return f.read()
        wait_for(lambda: "demo: Ctrl-C stops both" in printed(), timeout=300, what="the demo to start")
        lines = printed().splitlines()
        publish = next(line.strip() for line in lines if " publish --app-socket " in line)
        socket_path = os.path.join(workdir, f"wsbridge-demo-{os.getuid()}", "app.sock")
        assert shlex.split(publish)[1:] == ["publish", "--app-socket", socket_path, "--user", "bob", "hello"]
        assert subprocess.run(shlex.split(publish), capture_output=True, timeout=30).returncode == 0

        # Without --app-socket, status and publish find the demo (cwd holds no wsbridge-app.sock).
        def status():
            return subprocess.run([wsbridge_binary(), "status"], env=env, cwd=workdir, capture_output=True,
                                  text=True, timeout=30)
        assert status().returncode == 0, status().stderr
        wait_for(lambda: "demo-chat" in status().stdout, what="the demo app listed")
        elsewhere = dict(env, XDG_RUNTIME_DIR=os.path.join(workdir, "nowhere"))
        missing = subprocess.run([wsbridge_binary(), "status"], env=elsewhere, cwd=workdir, capture_output=True,
                                 text=True, timeout=30)
        assert missing.returncode == 1
        assert missing.stderr.startswith("wsbridge status: no running wsbridge found: no app socket at "), missing.stderr
        assert "give --app-socket PATH" in missing.stderr
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
    assert not os.path.exists(os.path.join(workdir, f"wsbridge-demo-{os.getuid()}")), "the demo cleans up"


def test_a_busy_port_is_named_with_its_variable(workdir):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        env = demo_environment(workdir, LISTEN=free_port(), ADMIN_LISTEN=port, HTTP=free_port())
        started = time.monotonic()
        result = subprocess.run([os.path.join(ROOT, "scripts", "demo.sh")], env=env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1
        assert result.stderr.strip() == (f"demo: 127.0.0.1:{port} (the admin listener, /metrics) is in use; "
                                         f"pick another port: ADMIN_LISTEN=127.0.0.1:{port + 1} make run")
        assert time.monotonic() - started < 10, "before anything is built"
    finally:
        busy.close()
