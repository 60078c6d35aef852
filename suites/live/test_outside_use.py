"""The harness as its users meet it: docs/live-suite.md's example test file, run from a folder outside the
repository with the library installed from its wheel (nothing from this checkout on the path), against the
local platform, with the images this session's stack runs (--app-image/--nginx-image: nothing is built).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from livekit import LiveStack

from suites.wheel import install_wheel

REPO = Path(__file__).resolve().parents[2]
OTHER_STATE = "delaware"  # the example's own stack, beside the session's


def docs_example() -> str:
    page = (REPO / "docs" / "live-suite.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- example: test_my_state.py -->\n```python\n(.*?)```", page, re.DOTALL)
    assert found, "docs/live-suite.md lost its example test file"
    return found.group(1)


@pytest.mark.humangov_platforms("local", reason="the example runs on Docker; the nightly job is the AWS run")
def test_the_docs_example_runs_from_the_wheel_outside_the_repository(
    stack: LiveStack, tmp_path: Path
) -> None:
    version = stack.platform.current_version(stack.state)
    assert version is not None
    site = install_wheel(tmp_path)
    outside = tmp_path / "my-acceptance-tests"
    outside.mkdir()
    (outside / "test_my_state.py").write_text(docs_example(), encoding="utf-8")

    env = {**os.environ, "PYTHONPATH": str(site)}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_my_state.py",
               "--state", OTHER_STATE, "--platform", "local",
               "--app-image", version.app, "--nginx-image", version.nginx]  # fmt: skip
    result = subprocess.run(command, cwd=outside, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "2 passed" in output
    assert str(site / "humangov_deploy") in subprocess.run(
        [sys.executable, "-c", "import humangov_deploy; print(humangov_deploy.__file__)"],
        cwd=outside, env=env, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert not stack.platform.status(OTHER_STATE).exists  # the example's stack went at its end
