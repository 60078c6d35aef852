"""`humangov build` and `humangov push`: registered, parsed, wired to the library (which is faked here)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humangov_deploy import cli
from humangov_deploy.build.images import ImageSet
from humangov_deploy.commands import build, push

IMAGES = ImageSet(app="humangov-app:r-1", nginx="humangov-nginx:r-2")


def test_both_commands_are_registered() -> None:
    assert {"build", "push"} <= set(cli.COMMAND_MODULES)
    args = cli.build_parser().parse_args(["build", "--base", "official"])
    assert args.func is build.run and args.base == "official"
    args = cli.build_parser().parse_args(["push", "--region", "us-west-2"])
    assert (
        args.func is push.run and args.region == "us-west-2" and args.base is None
    )  # chosen at build time: available_base()
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["build", "--base", "alpine"])


def test_build_prints_tags_as_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(build, "build_images", lambda **kw: calls.append(kw) or IMAGES)
    monkeypatch.setattr(build, "ensure_images", lambda **kw: pytest.fail("--if-missing was not given"))
    assert cli.main(["build", "--json", "--revision", "abc"]) == 0
    assert json.loads(capsys.readouterr().out) == IMAGES.as_dict()
    assert calls[0]["base"] is None and calls[0]["revision"] == "abc"


def test_build_if_missing_uses_ensure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(build, "ensure_images", lambda **kw: IMAGES)
    monkeypatch.setattr(build, "image_size", lambda ref: 42e6)
    assert cli.main(["build", "--if-missing", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "app: humangov-app:r-1 (42 MB)",
        "nginx: humangov-nginx:r-2 (42 MB)",
    ]


def test_push_sends_the_built_images_to_the_region(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(push, "ensure_images", lambda **kw: IMAGES)

    def fake_push(clients: Any, images: ImageSet, **kw: Any) -> dict[str, str]:
        seen.update(region=clients.region, images=images, keep_last=kw["keep_last"])
        return {"app": "r/humangov-app@sha256:1", "nginx": "r/humangov-nginx@sha256:2"}

    monkeypatch.setattr(push, "push_images", fake_push)
    assert cli.main(["push", "--region", "eu-west-1", "--keep-last", "5", "--json"]) == 0
    assert seen == {"region": "eu-west-1", "images": IMAGES, "keep_last": 5}
    assert json.loads(capsys.readouterr().out)["nginx"] == "r/humangov-nginx@sha256:2"


def test_a_library_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from humangov_deploy.errors import ImageBuildError

    def fail(**_: Any) -> ImageSet:
        raise ImageBuildError("humangov-app:x", "Step 8/25 : RUN pip install\nERROR: no wheel")

    monkeypatch.setattr(build, "build_images", fail)
    assert cli.main(["build"]) == 1
    assert "building humangov-app:x failed" in capsys.readouterr().err
