"""Turn pytest's JUnit XML reports into a Markdown summary for `$GITHUB_STEP_SUMMARY` (standard library only).

One section per report: a headline (failed first, then errors, skips, passes, time), a table of every test,
and each failure's message and the tail of its traceback folded under `<details>`. A missing report is
itself news (pytest never got to write it: setup failed, or the step timed out), so it is said, not hidden.

    python3 .github/scripts/junit_summary.py --title "california (us-east-1)" reports/live.xml \
        >> "$GITHUB_STEP_SUMMARY"
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⚠️"}
MAX_DETAIL_LINES = 40


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    time: float
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    detail: str = ""


@dataclass
class Report:
    path: Path
    cases: list[Case] = field(default_factory=list)
    problem: str = ""  # why there is no report to read

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.cases if c.outcome == outcome)

    @property
    def time(self) -> float:
        return sum(c.time for c in self.cases)

    @property
    def ok(self) -> bool:
        # A nightly run that skipped is no proof: only passes count as green.
        return not self.problem and bool(self.cases) and all(c.outcome == "passed" for c in self.cases)


def _float(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def read_report(path: Path) -> Report:
    report = Report(path)
    if not path.is_file():
        report.problem = f"no JUnit report at `{path}`: pytest ended before writing it (see the job log)"
        return report
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        report.problem = f"`{path}` is not valid JUnit XML ({exc}); was the step killed while writing it?"
        return report
    for case in root.iter("testcase"):
        outcome, message, detail = "passed", "", ""
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[kind]
                message = node.get("message", "") or ""
                detail = (node.text or "").strip()
                break
        report.cases.append(
            Case(
                name=case.get("name", "?"),
                classname=case.get("classname", ""),
                time=_float(case.get("time")),
                outcome=outcome,
                message=message,
                detail=detail,
            )
        )
    return report


def _cell(text: str) -> str:
    """Text safe inside one Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _tail(text: str, lines: int = MAX_DETAIL_LINES) -> str:
    parts = text.splitlines()
    if len(parts) <= lines:
        return text
    cut = f"... ({len(parts) - lines} earlier lines cut; the full report is an artifact)"
    return "\n".join([cut, *parts[-lines:]])


def headline(report: Report) -> str:
    if report.problem:
        return f"💥 **{report.problem}**"
    if not report.cases:
        return "⚠️ **no test ran**: a nightly run must run the live suite, not skip it"
    counts = [(report.count(o), o) for o in ("failed", "error", "skipped", "passed")]
    words = [f"{n} {'errors' if o == 'error' else o}" for n, o in counts if n or o == "passed"]
    icon = "✅" if report.ok else ("❌" if report.count("failed") or report.count("error") else "⚠️")
    first = f"**{words[0]}**" if not report.ok else words[0]
    return f"{icon} {', '.join([first, *words[1:]])} in {report.time:.1f} s"


def render(report: Report, title: str = "") -> str:
    out = [f"### {title or report.path.stem}", "", headline(report), ""]
    if report.cases:
        out += ["| Result | Test | Time (s) |", "|---|---|---:|"]
        order = {"failed": 0, "error": 1, "skipped": 2, "passed": 3}
        for case in sorted(report.cases, key=lambda c: order[c.outcome]):
            test = f"`{_cell(case.name)}`" + (
                f" <sub>{_cell(case.classname)}</sub>" if case.classname else ""
            )
            out.append(f"| {ICONS[case.outcome]} {case.outcome} | {test} | {case.time:.1f} |")
        out.append("")
    for case in report.cases:
        if case.outcome in ("failed", "error", "skipped") and (case.message or case.detail):
            summary = _cell(case.message.splitlines()[0] if case.message else case.outcome)[:200]
            name = f"<code>{_cell(case.name)}</code>"
            out += [
                f"<details><summary>{ICONS[case.outcome]} {name}: {summary}</summary>",
                "",
                "```text",
                _tail(case.detail or case.message).replace("```", "'''"),
                "```",
                "</details>",
                "",
            ]
    return "\n".join(out)


def summarize(paths: Iterable[Path], title: str = "") -> tuple[str, bool]:
    reports = [read_report(p) for p in paths]
    text = "\n".join(
        render(r, title if len(reports) == 1 else f"{title} {r.path.stem}".strip()) for r in reports
    )
    return text, all(r.ok for r in reports) and bool(reports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="JUnit XML files written by pytest --junitxml")
    parser.add_argument("--title", default="", help="section heading, such as the state and region")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless every test passed")
    args = parser.parse_args(argv)
    text, ok = summarize(args.reports, args.title)
    sys.stdout.write(text + "\n")
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
