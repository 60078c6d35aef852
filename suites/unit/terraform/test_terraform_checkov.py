"""checkov over terraform/ passes, and every check it skips is skipped in the code with a reason.

checkov cannot live in the unit env: its dependency bc-python-hcl2 installs a module named `hcl2` over
python-hcl2's, which these tests parse the HCL with. So this test runs checkov from its own venv,
`.tox/checkov-venv`, built on first use with the version pinned in tox.ini's `[testenv:checkov]` (one
pin for `tox -e checkov` and for `tox -e unit`), and reused while that pin is unchanged. The first run
needs PyPI (a minute or two); HUMANGOV_CHECKOV=/path/to/checkov uses an installed checkov instead.

checkov's report is kept in that venv, keyed by a digest of everything it reads (every file under
terraform/, a .checkov.y*ml in the folder it runs from, its CKV_/CHECKOV_ environment variables, its
arguments, and the checkov executable itself): an unchanged tree reuses the report instead of spending
seconds of one worker on the same answer; any change to those inputs runs checkov again.
"""

from __future__ import annotations

import configparser
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from humangov_deploy.appsrc import REPO_ROOT, TERRAFORM_DIR

# Seconds on a first run (its venv, a cold report): first in the queue, never the one a worker ends on.
pytestmark = pytest.mark.slow

CHECKOV_VENV = REPO_ROOT / ".tox" / "checkov-venv"
# Reports keyed by their inputs' digest (the executable is part of it, so a new pin never reads an old one).
REPORTS = REPO_ROOT / ".tox" / "checkov-reports"
REPORTS_KEPT = 10
SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def checkov_requirement() -> str:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO_ROOT / "tox.ini")
    deps = tox.get("testenv:checkov", "deps").split()
    (requirement,) = [d for d in deps if d.startswith("checkov==")]
    return requirement


def checkov_executable() -> Path:
    override = os.environ.get("HUMANGOV_CHECKOV")
    if override:
        return Path(override)
    requirement = checkov_requirement()
    executable = CHECKOV_VENV / "bin" / "checkov"
    marker = CHECKOV_VENV / "humangov-requirement.txt"
    CHECKOV_VENV.parent.mkdir(parents=True, exist_ok=True)
    # Built in place under a lock (a venv cannot be moved once built): concurrent runs wait, then reuse.
    with open(CHECKOV_VENV.parent / "checkov-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if executable.exists() and marker.exists() and marker.read_text() == requirement:
            return executable
        shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
        steps = [
            [sys.executable, "-m", "venv", str(CHECKOV_VENV)],
            [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", requirement],
        ]  # fmt: skip
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, check=False, timeout=1800)
            if result.returncode != 0:
                pytest.fail(f"cannot install {requirement} into {CHECKOV_VENV}: {' '.join(step)}\n"
                            f"{result.stdout[-3000:]}{result.stderr[-3000:]}")  # fmt: skip
        marker.write_text(requirement)
    return executable


def inputs_digest(executable: Path, args: list[str], terraform_dir: Path, cwd: Path) -> str:
    """What checkov's answer depends on, hashed: the same digest means the same report."""
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            digest.update(part.encode() if isinstance(part, str) else part)
            digest.update(b"\0")

    stat = executable.resolve().stat()
    add(str(executable.resolve()), str(stat.st_size), str(stat.st_mtime_ns), *args)
    for name, value in sorted(os.environ.items()):
        if name.startswith(("CKV_", "CHECKOV_")):
            add(name, value)
    for path in sorted(p for p in terraform_dir.rglob("*") if p.is_file()):
        add(str(path.relative_to(terraform_dir)), path.read_bytes())
    for config in sorted(cwd.glob(".checkov.y*ml")):
        add(config.name, config.read_bytes())
    return digest.hexdigest()


def run_checkov(executable: Path, args: list[str]) -> tuple[str, str, int]:
    """checkov's stdout, stderr and exit code, from the kept report when its inputs are unchanged."""
    kept = REPORTS / f"{inputs_digest(executable, args, TERRAFORM_DIR, Path.cwd())}.json"
    if kept.exists():
        answer = json.loads(kept.read_text())
        return answer["stdout"], answer["stderr"], answer["returncode"]
    result = subprocess.run(
        [str(executable), *args], capture_output=True, text=True, check=False, timeout=600
    )
    REPORTS.mkdir(parents=True, exist_ok=True)
    partial = kept.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(
        json.dumps({"stdout": result.stdout, "stderr": result.stderr, "returncode": result.returncode})
    )
    partial.replace(kept)  # atomic: a concurrent run reads a whole report or none
    for old in sorted(REPORTS.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[REPORTS_KEPT:]:
        old.unlink(missing_ok=True)
    return result.stdout, result.stderr, result.returncode


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    # --skip-download: no call to the vendor's platform for guidelines (no network in the unit suite).
    args = [
        "--directory",
        str(TERRAFORM_DIR),
        "--framework",
        "terraform",
        "--skip-download",
        "--output",
        "json",
    ]
    stdout, stderr, returncode = run_checkov(checkov_executable(), args)
    assert stdout.strip(), f"checkov printed no report (exit {returncode}):\n{stderr}"
    report = json.loads(stdout)
    # One framework gives one report; several give a list.
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    terraform["returncode"] = returncode
    return terraform


def test_checkov_passes_over_terraform(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']} ({c['file_path']}:{c['file_line_range']})"
        for c in checkov_report["results"]["failed_checks"]
    ]

    assert failed == [], "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0 and summary["resource_count"] >= 9
    assert checkov_report["returncode"] == 0


def skips_in_code() -> dict[str, str]:
    skips: dict[str, str] = {}
    for path in TERRAFORM_DIR.rglob("*.tf"):
        for check_id, reason in SKIP_COMMENT.findall(path.read_text()):
            skips[check_id] = reason.strip()
    return skips


def test_every_skipped_check_is_skipped_in_the_code_with_a_reason(checkov_report: dict[str, Any]) -> None:
    skips = skips_in_code()
    skipped = {c["check_id"] for c in checkov_report["results"]["skipped_checks"]}

    # Nothing skipped elsewhere (a flag, a config file), and no stale skip left in the code.
    assert skipped == set(skips)
    for check_id, reason in skips.items():
        assert len(reason) >= 30, f"{check_id} is skipped without a reason worth the name: {reason!r}"


def test_the_kept_report_is_found_by_everything_checkov_reads_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = tmp_path / "checkov"
    executable.write_text("#!/bin/sh\n")
    tree = tmp_path / "terraform"
    (tree / "modules" / "m").mkdir(parents=True)
    (tree / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    (tree / "modules" / "m" / "main.tf").write_text("")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    args = ["--directory", str(tree)]
    monkeypatch.delenv("CKV_FRAMEWORK", raising=False)

    def digest() -> str:
        return inputs_digest(executable, args, tree, cwd)

    first = digest()
    (tmp_path / "README.md").write_text("not read by checkov")
    assert digest() == first

    changes = [
        lambda: (tree / "modules" / "m" / "main.tf").write_text('variable "v" {}\n'),
        lambda: (tree / "terraform.tfvars").write_text('v = "x"\n'),
        lambda: (cwd / ".checkov.yaml").write_text("skip-check: [CKV_AWS_18]\n"),
        lambda: monkeypatch.setenv("CKV_FRAMEWORK", "terraform"),
        lambda: args.append("--compact"),
        lambda: executable.write_text("#!/bin/sh\n# another checkov\n"),
    ]
    seen = {first}
    for change in changes:
        change()
        assert digest() not in seen
        seen.add(digest())
