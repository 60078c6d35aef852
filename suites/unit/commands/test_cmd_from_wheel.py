"""The library works installed from its wheel, outside this checkout (issue: the harness as a library).

A wheel is built from a copy of the repository, installed with pip into a folder of its own, and run from
another folder, with that folder first on the path: nothing can come from the checkout. The commands that
read the app's source (the state list, the storage schema, the accounts and audit code) must find the
copy the wheel carries (humangov_deploy/_source/, setup.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from suites.wheel import install_wheel

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """site-packages-like folder holding only the installed wheel (its dependencies are this venv's)."""
    return install_wheel(tmp_path_factory.mktemp("wheel"))


def humangov(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed), "HUMANGOV_CACHE_DIR": str(cwd / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "humangov_deploy.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_library_is_the_wheels(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    code = "import humangov_deploy.appsrc as a; print(a.__file__); print(a.REPO_ROOT)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    module, root = out.stdout.split()
    assert Path(module).is_relative_to(installed) and Path(root) == installed / "humangov_deploy" / "_source"
    assert (installed / "humangov_deploy" / "py.typed").is_file()


def test_help_and_the_state_list_work_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    helped = humangov(installed, tmp_path, "--help")
    assert helped.returncode == 0 and "deploy" in helped.stdout, helped.stderr
    refused = humangov(installed, tmp_path, "status", "--state", "californa", "--platform", "local")
    assert refused.returncode != 0 and "did you mean california" in refused.stderr


def test_data_and_users_work_from_the_wheel(installed: Path, tmp_path: Path, moto_server: str) -> None:
    common = ["--state", "idaho", "--platform", "aws", "--endpoint-url", moto_server, "--region", "us-east-1"]
    made = humangov(installed, tmp_path, "data", "create", "--state", "idaho", "--endpoint-url", moto_server)
    assert made.returncode == 0, made.stderr
    added = humangov(installed, tmp_path, "users", "add", *common, "--username", "ada", "--role", "viewer")
    assert added.returncode == 0 and "added ada (viewer) to idaho" in added.stdout, added.stderr
    listed = humangov(installed, tmp_path, "users", "list", *common, "--json")
    assert [u["username"] for u in json.loads(listed.stdout)["users"]] == ["ada"], listed.stderr
