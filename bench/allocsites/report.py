#!/usr/bin/env python3
"""What a held load added to a process's live heap, by call stack, per connection.

usage: bench/allocsites/report.py DIR N   (DIR holds dump.1.txt and dump.2.txt of allocsites.so)

Bytes are malloc's: the usable size plus glibc's 8-byte chunk header. Stacks that gained at least one
allocation per 5 connections are listed one by one; the others that gained more than 20 KB (hash
tables and arrays grown by doubling, whose share per connection depends on where N falls) after them.
"""
import subprocess
import sys


def load(path):
    sites = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            sites[parts[1]] = (int(parts[2]), int(parts[3]), parts[4:])
    return sites


def symbolize(frames):
    """Function names, demangled, for MODULE+OFFSET frames (addr2line per module, then swift-demangle)."""
    by_module = {}
    for frame in frames:
        module, offset = frame.rsplit("+", 1)
        by_module.setdefault(module, set()).add(offset)
    raw = {}
    for module, offsets in by_module.items():
        offsets = sorted(offsets)
        if module == "?":
            raw.update({f"?+{o}": "?" for o in offsets})
            continue
        lines = subprocess.run(["addr2line", "-f", "-e", module] + ["0x" + o for o in offsets],
                               capture_output=True, text=True).stdout.split("\n")
        for i, offset in enumerate(offsets):
            raw[f"{module}+{offset}"] = lines[2 * i] if 2 * i < len(lines) else "?"
    names = sorted(set(raw.values()))
    demangled = subprocess.run(["swift-demangle", "--simplified"], input="\n".join(names), capture_output=True,
                               text=True).stdout.split("\n")
    table = dict(zip(names, demangled))
    return {frame: table.get(name, name) for frame, name in raw.items()}


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder, n = sys.argv[1], int(sys.argv[2])
    before, after = load(f"{folder}/dump.1.txt"), load(f"{folder}/dump.2.txt")
    per_connection, large = [], []
    for key, (count, size, frames) in after.items():
        count0, size0, _ = before.get(key, (0, 0, frames))
        added, grown = count - count0, size - size0 + 8 * (count - count0)
        if added > n * 0.2:
            per_connection.append((grown, added, frames))
        elif grown > 20000:
            large.append((grown, added, frames))
    names = symbolize({f for _, _, frames in per_connection + large for f in frames})
    skip = ("swift_slowAlloc", "swift_allocObject", "swift_allocBox", "malloc", "_allocateStringStorage")
    # The standard library's growing of a collection: its caller says whose collection it is.
    collection = ("_NativeDictionary", "_DictionaryStorage", "Dictionary.", "_NativeSet", "_SetStorage", "Set._Variant",
                  "_ContiguousArrayBuffer", "Array._", "ContiguousArray._")
    for title, rows in (("per connection", per_connection), ("hash tables and arrays grown", large)):
        rows.sort(key=lambda row: -row[0])
        print(f"## {title}: {sum(r[0] for r in rows) / n:.0f} B per connection\n")
        for grown, added, frames in rows:
            stack = [names[f] for f in frames
                     if not names[f].startswith(skip) and not (title != "per connection" and any(c in names[f] for c in collection))][:4]
            print(f"{grown / n:7.1f} B  {added / n:5.2f} allocations/connection   " + "  <  ".join(s[:90] for s in stack))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
