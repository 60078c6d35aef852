"""hadolint over every Dockerfile of containers/, with the settings ci.yml uses (.github/hadolint.yaml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ci_helpers import GITHUB_DIR, ROOT, tool

CONFIG = GITHUB_DIR / "hadolint.yaml"
DOCKERFILES = sorted(ROOT.glob("containers/*/Dockerfile"))


def _hadolint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("hadolint"), "--no-color", "--config", str(CONFIG), *map(str, paths)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    "dockerfile",
    DOCKERFILES or [pytest.param(None, marks=pytest.mark.skip(reason="no containers/*/Dockerfile yet"))],
    ids=lambda p: str(p.parent.name) if p else "none",
)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    result = _hadolint(dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_warning(tmp_path: Path) -> None:
    # The threshold is real: an unpinned apt install (DL3008, a warning) fails with our settings.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm\nRUN apt-get update && apt-get install -y curl\n", encoding="utf-8")
    result = _hadolint(bad)
    assert result.returncode != 0
    assert "DL3008" in result.stdout
