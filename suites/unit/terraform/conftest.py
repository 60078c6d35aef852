"""Fixtures for the Terraform tests: the HCL of `terraform/` parsed once, and a fake `terraform` binary."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from terraform_support import FAKE_TERRAFORM, MODULE_DIR, FakeTerraform, HclModule

from humangov_deploy.appsrc import TERRAFORM_DIR


@pytest.fixture(scope="session")
def root() -> HclModule:
    return HclModule.load(TERRAFORM_DIR)


@pytest.fixture(scope="session")
def module() -> HclModule:
    return HclModule.load(MODULE_DIR)


@pytest.fixture
def fake_terraform(tmp_path: Path) -> FakeTerraform:
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text(FAKE_TERRAFORM.format(python=sys.executable, module=str(MODULE_DIR)))
    binary.chmod(0o755)
    workdir = tmp_path / "work"
    # Terraform runs in its configuration: the wrapper reads which resources are protected from there.
    shutil.copytree(
        TERRAFORM_DIR,
        workdir,
        ignore=shutil.ignore_patterns(".terraform*", "terraform.tfstate*", "*.tfvars", "bootstrap"),
    )
    return FakeTerraform(binary, workdir, tmp_path / "calls.jsonl", tmp_path / "control.json")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_terraform(fake_terraform: FakeTerraform, sleeps: list[float]) -> Callable[..., Any]:
    from humangov_deploy.data.terraform import Terraform

    def make(**overrides: Any) -> Terraform:
        env = {**fake_terraform.env, **overrides.pop("env", {})}
        options: dict[str, Any] = {
            "workdir": fake_terraform.workdir,
            "binary": str(fake_terraform.binary),
            "sleep": sleeps.append,
            "env": env,
        }
        options.update(overrides)
        return Terraform(**options)

    return make
