"""The man pages: lint-clean for mandoc and groff, and complete — every config key, every serve
flag, every subcommand option, every protocol message and error code is in them."""
import os
import re
import subprocess

import pytest

from debtools import ROOT, long_options, product_version, require_tool, run

PAGES = ["wsbridge.8", "wsbridge.conf.5", "wsbridge-protocol.7"]


def text_of(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def section(troff, name):
    """The troff source of one .SH section."""
    match = re.search(rf"^\.SH {re.escape(name)}\n(.*?)(?=^\.SH |\Z)", troff, re.M | re.S)
    assert match, f"no section {name}"
    return match.group(1)


def markdown_table(markdown, heading):
    """The rows (lists of cells, backticks kept) of the first table after a markdown heading."""
    start = markdown.index(heading)
    rows = []
    for line in markdown[start:].splitlines()[1:]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif rows:
            break
    return rows[1:]  # without the header row


def code(cell):
    match = re.match(r"`([^`]*)`", cell)
    return match.group(1) if match else None


@pytest.mark.parametrize("page", PAGES)
def test_mandoc_lint_reports_nothing(man_pages, page):
    require_tool("mandoc")
    result = run("mandoc", "-T", "lint", man_pages[page], check=False)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stdout + result.stderr


@pytest.mark.parametrize("page", PAGES)
def test_groff_renders_without_warnings(man_pages, page):
    require_tool("groff")
    result = run("groff", "-man", "-ww", "-z", "-Tutf8", man_pages[page], check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("page", PAGES)
def test_man_renders_the_page_without_warnings(man_pages, page, width):
    """As lintian runs it (man --warnings), at several terminal widths."""
    require_tool("man")
    env = dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8", MANPAGER="cat", PAGER="cat")
    result = run("man", "--warnings", "-E", "UTF-8", "-l", man_pages[page], env=env)
    assert result.stderr == "", result.stderr
    name = page.rsplit(".", 1)[0].upper()
    assert f"{name}({page.rsplit('.', 1)[1]})" in result.stdout
    assert "NAME" in result.stdout and "SEE ALSO" in result.stdout
    assert product_version() in result.stdout


def test_make_man_builds_every_page():
    run("make", "man")
    for page in PAGES:
        assert os.path.getsize(os.path.join(ROOT, ".build", "man", page)) > 1000


def test_conf_page_lists_every_key_with_default_and_reload(man_pages, config_keys):
    keys = section(text_of(man_pages["wsbridge.conf.5"]), "KEYS")
    entries = re.split(r"^\.TP\n", keys, flags=re.M)[1:]
    by_key = {re.match(r"\\fB([a-z0-9_]+)\\fR", e).group(1): e for e in entries}
    assert list(by_key) == [k for k, _, _, _ in config_keys]
    for key, default, _, reloadable in config_keys:
        entry = by_key[key]
        shown = f"\\fB{default.replace(chr(92), chr(92) + 'e')}\\fR" if default else "empty"
        assert f"Default: {shown}." in entry, entry
        assert ("Reloaded on SIGHUP." in entry) == reloadable, entry
        assert ("Takes effect on restart." in entry) == (not reloadable), entry
        assert '\\-\\-' + key.replace('_', '\\-') in entry


def test_config_docs_agree_with_the_generated_key_list(config_keys):
    """docs/configuration.md is written by hand; the pages are generated from examples/wsbridge.conf.
    Both must name the same keys, defaults and reload behaviour."""
    docs = markdown_table(text_of(os.path.join(ROOT, "docs", "configuration.md")), "## Keys")
    documented = {}
    for cells in docs:
        key, flag, default, reload = code(cells[0]), code(cells[1]), code(cells[2]), cells[3]
        assert flag == "--" + key.replace("_", "-")
        documented[key] = (default, reload)
    assert sorted(documented) == sorted(k for k, _, _, _ in config_keys)
    for key, default, _, reloadable in config_keys:
        doc_default, doc_reload = documented[key]
        assert doc_reload in ("yes", "no"), (key, doc_reload)
        assert (doc_reload == "yes") == reloadable, f"{key}: reload {doc_reload} in docs"
        if default:
            assert doc_default == default, f"{key}: default {doc_default!r} in docs, {default!r} in examples"
        else:
            assert doc_default.startswith("("), f"{key}: default {doc_default!r} in docs, empty in examples"


def test_daemon_page_lists_every_config_key_as_a_serve_flag(man_pages, config_keys):
    options = section(text_of(man_pages["wsbridge.8"]), "SERVE OPTIONS")
    for key, _, _, reloadable in config_keys:
        flag = "\\-\\-" + key.replace("_", "\\-")
        match = re.search(rf"^\.TP\n\\fB{re.escape(flag)}\\fR .*?(?=^\.TP|\Z)", options, re.M | re.S)
        assert match, f"{flag} missing from SERVE OPTIONS"
        assert ("reloadable" in match.group(0)) == reloadable


def test_daemon_page_documents_every_subcommand_and_option(man_pages, wsbridge_bin):
    troff = text_of(man_pages["wsbridge.8"])
    commands = section(troff, "COMMANDS")
    top = run(wsbridge_bin, "--help").stdout
    subcommands = re.findall(r"^  ([a-z][a-z-]*)  ", top.split("SUBCOMMANDS:", 1)[1], re.M)
    assert "serve" in subcommands and "check-config" in subcommands
    for option in long_options(top):
        assert option.replace("-", "\\-") in troff, f"{option} of wsbridge is not documented"
    for sub in subcommands:
        assert f".B {sub.replace('-', chr(92) + '-')}\n" in commands, f"subcommand {sub} not in COMMANDS"
        help_text = run(wsbridge_bin, sub, "--help").stdout
        for option in long_options(help_text):
            assert option.replace("-", "\\-") in troff, f"{sub} {option} is not documented in wsbridge(8)"


def test_daemon_page_has_the_operator_sections(man_pages):
    troff = text_of(man_pages["wsbridge.8"])
    for name in ["SYNOPSIS", "COMMANDS", "SERVE OPTIONS", "SIGNALS", "SYSTEMD", "ENVIRONMENT", "FILES",
                 "EXIT STATUS", "EXAMPLES", "SEE ALSO"]:
        section(troff, name)
    for word in ["SIGTERM", "SIGINT", "SIGHUP", "1001", "drain_timeout", "READY=1", "STATUS=", "WATCHDOG=1",
                 "RELOADING=1", "STOPPING=1", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC",
                 "/etc/wsbridge/wsbridge.conf", "/run/wsbridge/app.sock", "status", "\\-\\-version"]:
        assert word in troff, word
    status = section(troff, "EXIT STATUS")
    for code_ in ("0", "1", "64"):
        assert f".B {code_}\n" in status


def test_protocol_page_covers_every_message_and_error_code(man_pages):
    troff = text_of(man_pages["wsbridge-protocol.7"])
    spec = text_of(os.path.join(ROOT, "docs", "protocol.md"))
    requests = [code(r[0]) for r in markdown_table(spec, "## Requests")]
    events = [code(r[0]) for r in markdown_table(spec, "## Events")]
    errors = [code(r[0]) for r in markdown_table(spec, "## Errors")]
    assert "hello" in requests and "welcome" in events and "frame_too_large" in errors
    tags = section(troff, "REQUESTS") + section(troff, "EVENTS")
    for name in requests + events:
        assert re.search(rf"^\.BR? {re.escape(name)}\b", tags, re.M), f"message {name} not in wsbridge-protocol(7)"
    error_section = section(troff, "ERRORS")
    for name in errors:
        assert f".B {name}\n" in error_section, f"error code {name} not in wsbridge-protocol(7)"
    for word in ["big\\-endian", "max_frame_bytes", "app_max_queue_bytes", "connect_timeout"]:
        assert word in troff


def test_exit_statuses_are_the_documented_ones(man_pages, wsbridge_bin, tmp_path):
    """EXIT STATUS of wsbridge(8): 0 success, 1 configuration or runtime error, 64 usage error."""
    status = section(text_of(man_pages["wsbridge.8"]), "EXIT STATUS")
    assert ".B 64\nA usage error" in status and ".B 1\nAn invalid configuration" in status
    bad = tmp_path / "bad.conf"
    bad.write_text("lisen = 127.0.0.1:8080\n")
    cases = [
        ([wsbridge_bin, "--version"], 0),
        ([wsbridge_bin, "no-such-command"], 64),
        ([wsbridge_bin, "serve", "--no-such-option"], 64),
        ([wsbridge_bin, "check-config", "--config", str(bad)], 1),
        ([wsbridge_bin, "serve", "--config", str(bad), "--listen", "127.0.0.1:0",
          "--app-socket", str(tmp_path / "app.sock"), "--admin-listen", "off"], 1),
        ([wsbridge_bin, "status", "--app-socket", str(tmp_path / "nobody-listens.sock")], 1),
    ]
    for argv, expected in cases:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert result.returncode == expected, f"{' '.join(argv[1:])}: exit {result.returncode}\n{result.stderr}"
