#!/usr/bin/env python3
"""Mutation testing of the modules where a silent bug costs most: `tox -e mutants` (mutmut 3).

Each module is mutated in its own copy of the checkout (never in place), with only the unit tests that
cover it, and the score is printed per module: killed/total. A mutant that times out counts as killed
(the tests noticed it). Survivors are written out with their diff, next to the score, so each one can be
killed by a new test or listed with its reason in suites/unit/mutants_equivalent.md. Listed mutants are
not run (they would only run every covering test to no end): they count as survivors, and their diffs
stay in the survivors file, so a list gone stale after an edit shows there.

    python scripts/mutants.py [--module aws_wait ...] [--fail-under 90] [--workdir DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "suites" / "unit" / "mutants_equivalent.md"
APP_PACKAGE = Path("containers/app/humangov")
# appsrc reads these two app files by path (humangov_deploy/appsrc.py); they stay where it looks.
APP_FILES_READ_BY_PATH = ("schema.py", "states.py")
IGNORE = (".git", ".venv", ".tox", "mutants", "__pycache__", "*.egg-info", ".*_cache", ".cache", "build")


@dataclass(frozen=True)
class Target:
    """One module to mutate and the unit tests (globs) that cover it."""

    name: str
    path: Path
    tests: tuple[str, ...]

    @property
    def in_app(self) -> bool:
        return self.path.is_relative_to(APP_PACKAGE)


AWS_TESTS = "suites/unit/platforms/aws"
LOCAL_TESTS = "suites/unit/platforms/local"
TARGETS = (
    Target("aws_wait", Path("humangov_deploy/platforms/aws/wait.py"), (f"{AWS_TESTS}/test_aws_wait*.py",)),
    Target(
        "aws_status", Path("humangov_deploy/platforms/aws/status.py"), (f"{AWS_TESTS}/test_aws_status*.py",)
    ),
    Target(
        "aws_teardown",
        Path("humangov_deploy/platforms/aws/teardown.py"),
        (f"{AWS_TESTS}/test_aws_teardown*.py",),
    ),
    Target(
        "local_tasks", Path("humangov_deploy/platforms/local/tasks.py"), (f"{LOCAL_TESTS}/test_local*.py",)
    ),
    Target("verify", Path("humangov_deploy/verify.py"), ("suites/unit/test_verify*.py",)),
    Target("service", APP_PACKAGE / "service.py", ("suites/unit/app/test_*.py",)),
    Target("dynamo_storage", APP_PACKAGE / "dynamo_storage.py", ("suites/unit/app/test_*.py",)),
)

# mutmut's exit codes per mutant (mutmut/stats.py, status_by_exit_code); anything else is "suspicious".
KILLED_CODES = {1, 3}
TIMEOUT_CODES = {36, 24, -24, 152, 255}  # the tests hung or ran away: noticed, so counted as killed
STATUS_BY_CODE = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not checked"}


def status_of(code: int | None) -> str:
    if code in KILLED_CODES:
        return "killed"
    if code in TIMEOUT_CODES:
        return "timeout"
    return STATUS_BY_CODE.get(code, "suspicious")


@dataclass
class Score:
    target: Target
    statuses: dict[str, str] = field(default_factory=dict)  # mutant name -> status
    error: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def killed(self) -> int:
        return sum(1 for s in self.statuses.values() if s in ("killed", "timeout"))

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s not in ("killed", "timeout"))

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.total if self.total else 0.0


def equivalent_names(text: str) -> set[str]:
    """Mutant names listed in mutants_equivalent.md: each in backticks at the start of a list item."""
    return set(re.findall(r"^\s*[-*]\s+`([\w.ǁ]+__mutmut_\d+)`", text, flags=re.MULTILINE))


def scores_table(scores: list[Score], equivalents: set[str]) -> list[str]:
    lines = [f"{'module':<48} {'killed/total':>13} {'score':>7}  {'survivors (equivalent)':<24}"]
    killed = total = 0
    for score in scores:
        if score.error:
            lines.append(f"{score.target.path!s:<48} {'-':>13} {'-':>7}  {score.error}")
            continue
        known = sum(1 for n in score.survivors if n in equivalents)
        lines.append(
            f"{score.target.path!s:<48} {f'{score.killed}/{score.total}':>13} {score.percent:>6.1f}%"
            f"  {len(score.survivors)} ({known})"
        )
        killed += score.killed
        total += score.total
    if total:
        lines.append(f"{'all':<48} {f'{killed}/{total}':>13} {100.0 * killed / total:>6.1f}%")
    return lines


def prepare(target: Target, workdir: Path) -> Path:
    """A fresh copy of the checkout for one target, with mutmut's configuration written into it."""
    copy = workdir / target.name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*IGNORE), symlinks=True)
    if target.in_app:
        # mutmut names a mutant after its file's path and activates it only when that name matches the
        # function's __module__ ("humangov.service"): the app package moves to src/ (a prefix mutmut
        # strips), and only the files appsrc reads by path stay behind, as a namespace portion that never
        # shadows the package.
        (copy / "src").mkdir()
        shutil.move(copy / APP_PACKAGE, copy / "src" / "humangov")
        (copy / APP_PACKAGE).mkdir()
        for name in APP_FILES_READ_BY_PATH:
            shutil.copy2(copy / "src" / "humangov" / name, copy / APP_PACKAGE / name)
        source, mutated = Path("src/humangov"), Path("src/humangov") / target.path.name
    else:
        source, mutated = Path(target.path.parts[0]), target.path
    tests = sorted({str(p.relative_to(copy)) for g in target.tests for p in copy.glob(g)})
    if not tests:
        raise RuntimeError(f"no test file matches {target.tests}")
    also_copy = sorted(p.name for p in copy.iterdir() if p.name not in {source.parts[0], "mutants"})
    (copy / "setup.cfg").write_text(
        "[mutmut]\n"
        + _cfg_list("source_paths", [str(source)])
        + _cfg_list("only_mutate", [str(mutated)])
        + _cfg_list("also_copy", also_copy)
        + _cfg_list("pytest_add_cli_args_test_selection", tests)
        # The unit suite's own options: no xdist inside mutmut's forked workers, no cache written.
        + _cfg_list("pytest_add_cli_args", ["-m", "unit", "-p", "no:cacheprovider"]),
        encoding="utf-8",
    )
    return copy


def _cfg_list(key: str, values: list[str]) -> str:
    return f"{key} =\n" + "".join(f"    {v}\n" for v in values)


def read_statuses(copy: Path, target: Target) -> dict[str, str]:
    mutated = Path("src/humangov") / target.path.name if target.in_app else target.path
    meta = copy / "mutants" / f"{mutated}.meta"
    data = json.loads(meta.read_text(encoding="utf-8"))
    return {name: status_of(code) for name, code in data["exit_code_by_key"].items()}


SHOW = """
import sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
for name in sys.argv[1:]:
    print(f"### {name}")
    print(get_diff_for_mutant(name))
    print()
"""


# mutmut's own first step (mutmut/__main__.py `_run`, 3.8.1), alone: the mutants and their .meta files,
# so the listed equivalent mutants can be marked before `mutmut run`, which then skips them.
GENERATE = """
import os, sys
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, set_mutant_under_test
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
create_mutants(int(sys.argv[1]))
"""


def mark_equivalents(copy: Path, target: Target, equivalents: set[str]) -> int:
    """Record the listed equivalent mutants as survivors without running them (their diffs still show)."""
    mutated = Path("src/humangov") / target.path.name if target.in_app else target.path
    meta = copy / "mutants" / f"{mutated}.meta"
    data = json.loads(meta.read_text(encoding="utf-8"))
    marked = [name for name in data["exit_code_by_key"] if name in equivalents]
    for name in marked:
        data["exit_code_by_key"][name] = 0
    meta.write_text(json.dumps(data), encoding="utf-8")
    return len(marked)


def run_target(
    target: Target, workdir: Path, jobs: int, equivalents: set[str] | None = None
) -> tuple[Score, str]:
    started = time.monotonic()
    score = Score(target)
    try:
        copy = prepare(target, workdir)
    except (OSError, RuntimeError) as exc:
        score.error = f"not prepared: {exc}"
        return score, ""
    log = workdir / f"{target.name}.log"
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-c", GENERATE, str(jobs)],
            cwd=copy,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if result.returncode == 0 and equivalents:
            print(
                f"equivalent mutants not run: {mark_equivalents(copy, target, equivalents)}",
                file=out,
                flush=True,
            )
        if result.returncode == 0:
            result = subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)],
                cwd=copy,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
    score.seconds = time.monotonic() - started
    try:
        score.statuses = read_statuses(copy, target)
    except (OSError, ValueError, KeyError) as exc:
        score.error = f"mutmut exited {result.returncode} without results ({exc}); see {log}"
        return score, ""
    if result.returncode != 0:
        score.error = f"mutmut exited {result.returncode}; see {log}"
    diffs = ""
    if score.survivors:
        shown = subprocess.run(
            [sys.executable, "-c", SHOW, *score.survivors],
            cwd=copy,
            capture_output=True,
            text=True,
            check=False,
        )
        statuses = "\n".join(f"- `{n}`: {score.statuses[n]}" for n in score.survivors)
        diffs = f"## {target.path}\n\n{statuses}\n\n```diff\n{shown.stdout}{shown.stderr}```\n"
    return score, diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--module", action="append", choices=[t.name for t in TARGETS], help="repeatable")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 below this %% in any module")
    parser.add_argument("--workdir", type=Path, default=None, help="where the copies go (default: temp)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(
        os.environ.get("HUMANGOV_MUTANTS_DIR") or Path(tempfile.gettempdir()) / "humangov-mutants"
    )
    workdir.mkdir(parents=True, exist_ok=True)
    targets = [t for t in TARGETS if not args.module or t.name in args.module]
    equivalents = equivalent_names(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else set()

    started = time.monotonic()
    scores: list[Score] = []
    for target in targets:
        print(f"== {target.path} ({', '.join(target.tests)})", flush=True)
        score, diffs = run_target(target, workdir, args.jobs, equivalents)
        scores.append(score)
        print(f"   {score.killed}/{score.total} killed in {score.seconds:.0f} s {score.error}", flush=True)
        (workdir / f"{target.name}-survivors.md").write_text(diffs or "none\n", encoding="utf-8")

    print()
    print("\n".join(scores_table(scores, equivalents)))
    print(f"wall time {time.monotonic() - started:.0f} s on {os.cpu_count()} cores (load {_load()})")
    print(f"survivors and their diffs: {workdir}/<module>-survivors.md")
    failing = [s for s in scores if s.error or s.percent < args.fail_under]
    for score in failing:
        print(f"FAIL {score.target.path}: {score.error or f'{score.percent:.1f}% < {args.fail_under}%'}")
    return 1 if failing else 0


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
