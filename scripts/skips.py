#!/usr/bin/env python3
"""Print every skipped test of a run, with its reason, from the JUnit XML reports the tox envs write.

scripts/test calls it at the end, also when a suite failed, so a run that skipped anything says so where
it is read last. Standard library only: it runs with whatever Python is there.

    python3 scripts/skips.py .tox/reports/*.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Skip:
    suite: str  # the report's name: the tox env
    test: str
    reason: str
    expected_failure: bool = False  # pytest reports an xfail as a skip of type pytest.xfail


def read_skips(path: Path) -> list[Skip]:
    root = ET.parse(path).getroot()
    skips = []
    for case in root.iter("testcase"):
        skipped = case.find("skipped")
        if skipped is None:
            continue
        classname, name = case.get("classname", ""), case.get("name", "")
        test = f"{classname}::{name}" if classname else name
        reason = skipped.get("message") or (skipped.text or "").strip() or "no reason given"
        skips.append(Skip(path.stem, test, reason, skipped.get("type") == "pytest.xfail"))
    return skips


def render(skips: list[Skip], unreadable: list[str]) -> list[str]:
    lines = [f"!! {path}: not a readable JUnit report" for path in unreadable]
    if not skips:
        return [*lines, "== skips: none"]
    lines.append(f"== skips: {len(skips)} test(s) did not run")
    for skip in skips:
        kind = "xfail" if skip.expected_failure else "skipped"
        lines.append(f"{skip.suite}: {kind} {skip.test}: {skip.reason}")
    return lines


def main(argv: list[str]) -> int:
    skips: list[Skip] = []
    unreadable: list[str] = []
    for arg in argv:
        path = Path(arg)
        if not path.is_file():
            continue  # a suite that never ran (an earlier one failed) wrote no report
        try:
            skips += read_skips(path)
        except ET.ParseError:
            unreadable.append(arg)
    print("\n".join(render(skips, unreadable)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
