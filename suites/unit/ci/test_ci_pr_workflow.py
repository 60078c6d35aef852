"""ci.yml: every check the issue lists runs on pull requests and pushes, read-only, with pip cached."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ci_helpers import run_text, steps

EXPECTED_COMMANDS = {
    "ruff check": r"\bruff check\b",
    "ruff format": r"\bruff format --check\b",
    "mypy": r"^\s*mypy\b",
    "unit suite": r"\btox -e unit\b",
    "container suite": r"\btox -e container\b",
    "terraform fmt": r"\bterraform fmt -check\b",
    "terraform validate": r"\bterraform -chdir=terraform validate\b",
    "bootstrap validate": r"\bterraform -chdir=terraform/bootstrap validate\b",
    "checkov": r"\btox -e checkov\b",
    "workflow schema": r"\bcheck-jsonschema --builtin-schema vendor\.github-workflows\b",
    "zizmor": r"\bzizmor\b.*\.github$",
    "hadolint": r"\bhadolint --config \.github/hadolint\.yaml containers/\*/Dockerfile\b",
}


def _all_runs(ci: dict[str, Any]) -> str:
    return "\n".join(run_text(s) for job in ci["jobs"].values() for s in steps(job))


def test_runs_on_pull_requests_and_pushes(ci: dict[str, Any]) -> None:
    assert "pull_request" in ci["on"]
    assert "push" in ci["on"]
    assert "pull_request_target" not in ci["on"]  # would run fork code with the base repo's token


def test_token_is_read_only(ci: dict[str, Any]) -> None:
    assert ci["permissions"] == {"contents": "read"}
    for name, job in ci["jobs"].items():
        assert "permissions" not in job or set(job["permissions"].values()) <= {"read", "none"}, name


@pytest.mark.parametrize("check", sorted(EXPECTED_COMMANDS))
def test_every_check_runs(ci: dict[str, Any], check: str) -> None:
    assert re.search(EXPECTED_COMMANDS[check], _all_runs(ci), re.M), f"ci.yml does not run {check}"


def test_no_step_swallows_a_failure(ci: dict[str, Any]) -> None:
    # "Fails on any failure": no continue-on-error, no `|| true`, no `set +e`.
    for name, job in ci["jobs"].items():
        assert not job.get("continue-on-error"), name
        for step in steps(job):
            assert not step.get("continue-on-error"), (name, step.get("name"))
            assert not re.search(r"\|\|\s*true|set \+e", run_text(step)), (name, step.get("name"))


def test_checkouts_do_not_persist_the_token(ci: dict[str, Any]) -> None:
    checkouts = [s for job in ci["jobs"].values() for s in steps(job)
                 if str(s.get("uses", "")).startswith("actions/checkout@")]  # fmt: skip
    assert len(checkouts) == len(ci["jobs"])
    assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


def test_python_jobs_cache_pip(ci: dict[str, Any]) -> None:
    setups = [s for job in ci["jobs"].values() for s in steps(job)
              if str(s.get("uses", "")).startswith("actions/setup-python@")]  # fmt: skip
    assert setups
    for step in setups:
        assert step["with"]["cache"] == "pip"
        assert step["with"]["python-version"] == "3.11"


def test_every_job_has_a_timeout(ci: dict[str, Any]) -> None:
    assert all(isinstance(job.get("timeout-minutes"), int) for job in ci["jobs"].values())
