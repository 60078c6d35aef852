"""A failing build against the real daemon: ImageBuildError carries the failing step and its output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from humangov_deploy.build import baseimage, images
from humangov_deploy.errors import ImageBuildError


def test_failing_step_output_reaches_the_error(docker_client: Any, tmp_path: Path) -> None:
    base = baseimage.ensure_bases(["nginx"], docker_client=docker_client, progress=lambda _: None)["nginx"]
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base}\nRUN echo step-two-ran\nRUN echo boom-marker >&2 && exit 3\nRUN echo never\n"
    )
    prepared = images.prepare(images.ImageSpec("broken", "humangov-test-broken", tmp_path), revision="test")
    seen: list[str] = []
    with pytest.raises(ImageBuildError) as caught:
        images.build_prepared(prepared, docker_client=docker_client, progress=seen.append)
    output = caught.value.step_output
    assert output.startswith("Step 3/4 : RUN echo boom-marker")
    assert "boom-marker" in output.splitlines()  # the step's own stderr line
    assert "returned a non-zero code: 3" in output
    assert "step-two-ran" not in output  # only the failing step, not the whole log
    assert any("step-two-ran" in line for line in seen)  # ... which streamed to progress meanwhile
    assert not baseimage.image_exists(docker_client, prepared.tag)
