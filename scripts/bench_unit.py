#!/usr/bin/env python3
"""Benchmark: the unit suite's wall time (issue 15's budget: 60 s on 2 cores), and where it goes.

Prints figures; it is not a test. Runs the command of tox.ini's [testenv:unit] (read from tox.ini, default
posargs included) in this checkout's Python, with tox's environment (fake AWS credentials;
PYTHONDONTWRITEBYTECODE unset, as tox does not pass it, so pytest's rewritten modules are cached as under
tox), and with the suites/timings.py plugin on. Then it prints the wall time, the CPU all of the run's
processes used, and the slowest tests and fixtures, each in wall and CPU seconds.

    .venv/bin/python scripts/bench_unit.py                          # as `tox -e unit`
    .venv/bin/python scripts/bench_unit.py --top 20 --sort cpu
    .venv/bin/python scripts/bench_unit.py --paths suites/unit/aws  # a part of the suite
    .venv/bin/python scripts/bench_unit.py -- -n 3 --dist load      # other posargs, as `tox -e unit -- ...`

The cores may be shared: the load average is printed before and after. Under load, wall times grow and
CPU times do not, so compare CPU (or wall times measured under the same load).
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from suites.timings import ENV as TIMINGS_ENV  # noqa: E402

BUDGET_SECONDS = 60.0
TEST_PHASES = {"setup", "call", "teardown"}
# tox.ini's [testenv] setenv: unit tests never reach a real account.
TOX_SETENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass
class Figure:
    name: str
    wall: float = 0.0
    cpu: float = 0.0
    count: int = 0


def python() -> str:
    venv = REPO_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tox_command(posargs: list[str] | None, paths: list[str] | None, junit: Path) -> list[str]:
    """[testenv:unit]'s command from tox.ini, as tox would run it: one source for the suite's options."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO_ROOT / "tox.ini")
    line = " ".join(tox.get("testenv:unit", "commands").split())
    match = re.fullmatch(r"(.*)\{posargs(?::(.*))?\}", line)
    assert match, f"no {{posargs}} at the end of [testenv:unit] commands: {line}"
    fixed, default = match.group(1).split(), (match.group(2) or "").split()
    assert fixed[0] == "pytest", line
    args = [junit_arg(a, junit) for a in fixed[1:]]
    if paths:
        args = [a for a in args if not a.startswith("suites/")] + paths
    return [python(), "-m", "pytest", *args, *(default if posargs is None else posargs)]


def junit_arg(arg: str, junit: Path) -> str:
    return f"--junitxml={junit}" if arg.startswith("--junitxml=") else arg


def run_suite(command: list[str], timings: Path, log: Path) -> tuple[int, float, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(TOX_SETENV)
    env[TIMINGS_ENV] = str(timings)
    print("$", " ".join(command[1:]), flush=True)
    start, cpu = time.perf_counter(), children_cpu()
    with log.open("w") as out:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return done.returncode, time.perf_counter() - start, children_cpu() - cpu


def load_records(timings: Path) -> list[dict[str, Any]]:
    return [r for f in sorted(timings.glob("*.json")) for r in json.loads(f.read_text())]


def slowest(records: list[dict[str, Any]], kinds: set[str], top: int, key: str) -> list[Figure]:
    figures: dict[str, Figure] = defaultdict(lambda: Figure(""))
    for record in records:
        if record["kind"] not in kinds:
            continue
        figure = figures[record["name"]]
        figure.name = record["name"]
        figure.wall += record["wall"]
        figure.cpu += record["cpu"] + record["children_cpu"]
        figure.count += 1
    return sorted(figures.values(), key=lambda f: getattr(f, key), reverse=True)[:top]


def print_table(title: str, figures: list[Figure], counted: bool) -> None:
    print(f"\n{title}")
    header = f"  {'wall s':>7} {'CPU s':>7}"
    print(f"{header} {'times':>5}  name" if counted else f"{header}  name")
    for f in figures:
        times = f" {f.count:>5}" if counted else ""
        print(f"  {f.wall:7.2f} {f.cpu:7.2f}{times}  {f.name}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--top", type=int, default=10, help="how many to list (default: 10)")
    parser.add_argument(
        "--sort", choices=("wall", "cpu"), default="wall", help="order of the lists (default: wall)"
    )
    parser.add_argument("--keep", type=Path, help="keep the raw timings (a JSON per process) here")
    parser.add_argument("--paths", nargs="+", help="test paths instead of tox.ini's (suites/unit)")
    parser.add_argument(
        "posargs", nargs="*", help="after --: instead of tox.ini's default posargs, as with tox"
    )
    args = parser.parse_args(argv)

    print(f"load average before: {load()} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-unit-") as tmp:
        timings, log = Path(tmp, "timings"), Path(tmp, "pytest.log")
        timings.mkdir()
        posargs = args.posargs if "--" in (argv if argv is not None else sys.argv) else None
        command = tox_command(posargs, args.paths, Path(tmp, "unit.xml"))
        code, wall, cpu = run_suite(command, timings, log)
        records = load_records(timings)
        if args.keep:
            shutil.copytree(timings, args.keep, dirs_exist_ok=True)
        summary = [line for line in log.read_text().splitlines() if line.strip()][-1:]
        if code != 0:
            print(log.read_text()[-5000:])
    print(f"load average after: {load()}")
    print(f"pytest: {summary[0] if summary else '(no output)'} (exit {code})")
    print(f"\nwall: {wall:.1f} s (budget {BUDGET_SECONDS:.0f} s); CPU of all processes: {cpu:.1f} s")
    in_tests = sum(r["cpu"] + r["children_cpu"] for r in records if r["kind"] in TEST_PHASES)
    startup = sum(r["cpu"] for r in records if r["kind"] == "startup")
    print(f"CPU in tests (setup, call, teardown): {in_tests:.1f} s; start-up and collection: {startup:.1f} s")
    print_table(
        f"{args.top} slowest tests (setup + call + teardown)",
        slowest(records, TEST_PHASES, args.top, args.sort),
        counted=False,
    )
    print_table(
        f"{args.top} slowest fixtures (setup only, summed over their instances)",
        slowest(records, {"fixture"}, args.top, args.sort),
        counted=True,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
