#!/usr/bin/env python3
"""Turns the man page sources man/*.in into troff pages.

The config keys are not written twice: the KEYS section of wsbridge.conf(5) and the serve options
of wsbridge(8) are generated from examples/wsbridge.conf, which the Swift code generates from the
config module itself (a Swift test keeps it identical to ConfigRendering.defaultFile()). A key
added to the config module therefore reaches both pages without anyone editing them.

Substitutions in the .in files:
  @VERSION@             the product version (Sources/WSBridgeCore/WSBridgeVersion.swift)
  @DATE@                the date of the newest entry of packaging/changelog (reproducible builds)
  .\\" @KEYS@           (wsbridge.conf.5.in) one entry per config key
  .\\" @SERVE_OPTIONS@  (wsbridge.8.in) one entry per serve flag

Usage: man/render.py OUTDIR      (writes OUTDIR/wsbridge.8, wsbridge.conf.5, wsbridge-protocol.7)
"""
import email.utils
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ["wsbridge.8", "wsbridge.conf.5", "wsbridge-protocol.7"]
KEY_LINE = re.compile(r"^#?([a-z][a-z0-9_]*) =(?: (.*))?$")
RELOADABLE = "[reloadable]"


def version():
    path = os.path.join(ROOT, "Sources/WSBridgeCore/WSBridgeVersion.swift")
    with open(path, encoding="utf-8") as f:
        match = re.search(r'static let string = "([^"]+)"', f.read())
    if not match:
        sys.exit(f"render.py: no version string in {path}")
    return match.group(1)


def changelog_date():
    """The date of the newest packaging/changelog entry, as YYYY-MM-DD."""
    path = os.path.join(ROOT, "packaging/changelog")
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(" -- "):
                stamp = line.split(">", 1)[1].strip()
                return email.utils.parsedate_to_datetime(stamp).strftime("%Y-%m-%d")
    sys.exit(f"render.py: no trailer line in {path}")


def config_keys(path=None):
    """[(key, default, summary, reloadable)] in file order, parsed from examples/wsbridge.conf.

    The file is a header, then blocks of "# summary" lines each followed by one "#key = default"
    line (commented: every default is shown, not set).
    """
    path = path or os.path.join(ROOT, "examples/wsbridge.conf")
    keys, comment = [], []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            match = KEY_LINE.match(line)
            if match:
                summary = " ".join(comment).strip()
                reloadable = RELOADABLE in summary
                summary = " ".join(summary.replace(RELOADABLE, "").split())
                keys.append((match.group(1), (match.group(2) or "").strip(), summary, reloadable))
                comment = []
            elif line.startswith("#"):
                comment.append(line[1:].strip())
            else:
                comment = []  # a blank line ends a comment block (the header is one)
    if not keys:
        sys.exit(f"render.py: no keys found in {path}")
    return keys


def roff(text):
    """Escapes plain text for a troff text line (or a macro argument without spaces issues)."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w-])--(?=[a-z])", r"\\-\\-", text)  # options: real minus signs
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def metavar(key, default):
    """The placeholder shown after a serve flag: HOST:PORT, SIZE, DURATION..."""
    named = {
        "listen": "HOST:PORT", "ws_path": "PATH", "app_socket": "PATH", "redis": "URL",
        "channel": "NAME", "compat_user_field": "FIELD", "node_id": "ID", "auth": "MODE",
        "jwt_secret": "SECRET", "allowed_origins": "LIST", "app_allowed_uids": "LIST",
        "app_socket_mode": "MODE", "log_level": "LEVEL", "log_format": "FORMAT",
    }
    if key in named:
        return named[key]
    if key.endswith("_file"):
        return "FILE"
    if re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d+", default):
        return "HOST:PORT"
    if re.fullmatch(r"0|\d+(ms|s|m|h)", default) and not key.endswith(("_loops", "_connections")):
        return "DURATION"
    if re.fullmatch(r"\d+([KMG]i?B?|B)", default, re.IGNORECASE) or key.endswith("_bytes"):
        return "SIZE"
    if re.fullmatch(r"\d+", default):
        return "N"
    return "VALUE"


def flag(key):
    """The serve flag of a key in troff: max_queue_bytes is \\-\\-max\\-queue\\-bytes."""
    return "\\-\\-" + key.replace("_", "\\-")


def default_text(default):
    return f"\\fB{roff(default)}\\fR" if default else "empty"


def sentences(text):
    """One sentence per line, so that troff spaces them as sentences."""
    return [roff(part) for part in re.split(r"(?<=[.!?]) +(?=[A-Z])", text)]


def keys_section(keys):
    out = []
    for key, default, summary, reloadable in keys:
        out.append(".TP")
        out.append(f"\\fB{roff(key)}\\fR = \\fI{metavar(key, default)}\\fR")
        out.extend(sentences(summary))
        out.append(f"Default: {default_text(default)}.")
        out.append("Reloaded on SIGHUP." if reloadable else "Takes effect on restart.")
        out.append(f"Flag: \\fB{flag(key)}\\fR.")
    return out


def serve_options_section(keys):
    out = []
    for key, default, summary, reloadable in keys:
        out.append(".TP")
        out.append(f"\\fB{flag(key)}\\fR \\fI{metavar(key, default)}\\fR")
        out.extend(sentences(summary))
        out.append(f"Key \\fB{roff(key)}\\fR; default {default_text(default)}"
                   + ("; reloadable." if reloadable else "."))
    return out


def wrap(lines, width=80):
    """Breaks text lines longer than width bytes at spaces (the filled output is the same), so that
    "mandoc -T lint" has nothing to say. Macro lines and no-fill blocks (.EX/.EE, .nf/.fi) are kept."""
    out, nofill = [], False
    for line in lines:
        if line.startswith((".EX", ".nf")):
            nofill = True
        elif line.startswith((".EE", ".fi")):
            nofill = False
        if nofill or line.startswith((".", "'")):
            out.append(line)
            continue
        while len(line.encode()) > width:
            cut = -1
            for i, ch in enumerate(line):
                if len(line[:i].encode()) > width:
                    break
                if ch == " " and i > 0 and line[i - 1] != "\\":
                    cut = i
            if cut <= 0:
                break
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
            if line.startswith((".", "'")):
                line = "\\&" + line
        out.append(line)
    return out


def render(source, keys, ver, date):
    out = []
    for line in source.splitlines():
        if line.strip() == '.\\" @KEYS@':
            out.extend(keys_section(keys))
        elif line.strip() == '.\\" @SERVE_OPTIONS@':
            out.extend(serve_options_section(keys))
        else:
            out.append(line.replace("@VERSION@", ver).replace("@DATE@", date))
    return "\n".join(wrap(out)) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    keys, ver, date = config_keys(), version(), changelog_date()
    for page in PAGES:
        with open(os.path.join(ROOT, "man", page + ".in"), encoding="utf-8") as f:
            text = render(f.read(), keys, ver, date)
        leftover = re.search(r"@[A-Z_]+@", text)
        if leftover:
            sys.exit(f"render.py: {page}: unknown placeholder {leftover.group(0)}")
        with open(os.path.join(outdir, page), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
