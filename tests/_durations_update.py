"""Rewrite ``tests/durations.json`` (the seconds `_schedule` ranks the files by) from the output of
``python -m pytest -n 2 --durations=0 -q …`` runs.

Each test's figure is the sum of its setup, call and teardown (a module fixture's start is charged to
the module's first test, so a file's sum is what the file costs its worker). The tests of a file not
in the logs keep their old figure, scaled by the ratio of new to old over the tests
measured in both (old figures were measured at another load), so every file is ranked on one scale.

Usage: ``python tests/_durations_update.py LOG [LOG ...]``
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

DURATIONS = Path(__file__).resolve().parent / "durations.json"
_LINE = re.compile(r"^\s*([\d.]+)s (?:setup|call|teardown)\s+(\S+)")


def read_logs(paths: list[Path]) -> dict[str, float]:
    """Seconds per test node id (setup + call + teardown) in the ``--durations=0`` logs."""
    seconds: dict[str, float] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if m := _LINE.match(line):
                seconds[m[2]] = seconds.get(m[2], 0.0) + float(m[1])
    return seconds


def merge(old: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    """``new``, and the tests only in ``old`` scaled to ``new``'s load (median ratio of the tests of
    more than a second in both)."""
    both = [k for k in new if k in old and new[k] > 1.0 and old[k] > 1.0]
    scale = statistics.median(new[k] / old[k] for k in both) if both else 1.0
    measured = {k.split("::", 1)[0] for k in new}  # a file in the logs: its old ids are gone or renamed
    out = {k: round(v * scale, 1) for k, v in old.items() if k.split("::", 1)[0] not in measured}
    out.update({k: round(v, 1) for k, v in new.items() if v >= 0.05})
    return dict(sorted(out.items()))


def main(argv: list[str]) -> int:
    """Read the logs, merge, write `DURATIONS`."""
    new = read_logs([Path(a) for a in argv])
    if not new:
        print("no --durations=0 lines in the logs", file=sys.stderr)
        return 1
    old = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
    merged = merge(old, new)
    text = "{\n" + ",\n".join(f"{json.dumps(k)}: {v}" for k, v in merged.items()) + "\n}\n"
    DURATIONS.write_text(text, encoding="utf-8")
    print(f"{len(new)} tests measured, {len(merged)} listed, {sum(merged.values()):.0f} s in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
