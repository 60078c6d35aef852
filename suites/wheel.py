"""The library's wheel, built from a copy of this repository and installed into a folder of its own, for the
tests that use the library as its users do, from outside the checkout (unit and live suites)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPY_SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".tox", "build", "*.egg-info", "__pycache__", ".*_cache", "bench-results", "mutants"
)


def install_wheel(base: Path) -> Path:
    """Build the wheel under `base` and pip-install it (no dependencies) into `base/site`; returns that
    folder, to put first on PYTHONPATH (the dependencies are the running venv's)."""
    source = base / "source"
    shutil.copytree(REPO, source, ignore=COPY_SKIP)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(base / "dist"),
                    str(source)], check=True, capture_output=True, cwd=base)  # fmt: skip
    (wheel,) = (base / "dist").glob("humangov_deploy-*.whl")
    target = base / "site"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True,
                   capture_output=True, cwd=base)  # fmt: skip
    return target
