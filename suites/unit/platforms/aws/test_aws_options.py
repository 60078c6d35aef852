"""from_options: the defaults that change on an AWS emulator (`--endpoint-url`), and the ones that do not."""

from __future__ import annotations

from typing import Any

import pytest

from humangov_deploy.aws import ecr as ecr_api
from humangov_deploy.build import images as images_api
from humangov_deploy.platforms.aws import from_options


def test_on_aws_the_wait_includes_target_health() -> None:
    assert from_options(region="us-east-1").options.wait == "healthy"


def test_on_an_emulator_the_wait_is_for_a_stable_service_unless_asked_otherwise() -> None:
    assert from_options(endpoint_url="http://127.0.0.1:5000").options.wait == "stable"
    assert from_options(endpoint_url="http://127.0.0.1:5000", wait="healthy").options.wait == "healthy"


def test_on_an_emulator_images_are_built_and_named_locally_never_pushed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = images_api.ImageSet(app="humangov-app:abc", nginx="humangov-nginx:abc")
    bases: list[Any] = []

    def ensure_images(*, base: Any, progress: Any) -> images_api.ImageSet:
        bases.append(base)
        return built

    def push_images(*_a: Any, **_k: Any) -> dict[str, str]:
        raise AssertionError("an emulator has no registry: nothing may be pushed")

    monkeypatch.setattr(images_api, "ensure_images", ensure_images)
    monkeypatch.setattr(ecr_api, "push_images", push_images)
    platform = from_options(endpoint_url="http://127.0.0.1:5000", base="official")
    messages: list[str] = []
    assert platform.images(messages.append) == {"app": "humangov-app:abc", "nginx": "humangov-nginx:abc"}
    assert bases == ["official"]
    assert any("no registry" in m for m in messages)


def test_prebuilt_images_win_over_the_emulator_default() -> None:
    platform = from_options(endpoint_url="http://127.0.0.1:5000", app_image="a:1", nginx_image="n:1")
    assert platform.images(lambda _m: None) == {"app": "a:1", "nginx": "n:1"}
