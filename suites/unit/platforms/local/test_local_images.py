"""The lb and emulator images: Dockerfiles that build on official or local bases, and when they build."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
from test_local_fakedocker import FakeDocker

from humangov_deploy.build import baseimage, images
from humangov_deploy.platforms.local import engine as dock
from humangov_deploy.platforms.local import images as li


def dockerfile_base_default(context: Path) -> str:
    text = (context / "Dockerfile").read_text()
    match = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, flags=re.MULTILINE)
    assert match, f"{context}/Dockerfile must take its base as ARG BASE_IMAGE"
    return match.group(1)


@pytest.mark.parametrize("recipe", [li.LB, li.EMULATOR], ids=lambda r: r.name)
def test_dockerfile_default_base_is_the_recipes_official_base(recipe: li.ImageRecipe) -> None:
    assert dockerfile_base_default(recipe.context) == recipe.official_base


@pytest.mark.parametrize("recipe", [li.LB, li.EMULATOR], ids=lambda r: r.name)
def test_images_run_as_a_non_root_user(recipe: li.ImageRecipe) -> None:
    users = re.findall(r"^USER (\S+)$", (recipe.context / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0", "0:0")


def test_lb_local_base_has_haproxy_and_emulator_reuses_the_apps_base() -> None:
    assert "haproxy" in li.LB.local_base.packages
    assert li.EMULATOR.local_base.tag == li.baseimage.RECIPES["app"].tag


def test_emulator_installs_only_the_services_it_emulates() -> None:
    requirements = li.EMULATOR.requirements
    assert requirements is not None
    lines = [line for line in requirements.read_text().splitlines() if line and not line.startswith("#")]
    moto = next(line for line in lines if line.startswith("moto"))
    assert moto.startswith("moto[dynamodb,s3]==")  # not moto[server]: every service's dependencies
    assert all("==" in line for line in lines)  # pinned


def test_the_wheelhouse_accepts_abi3_and_older_manylinux_wheels() -> None:
    # cryptography (for moto) ships cp311-abi3 manylinux_2_34 wheels: both must be accepted explicitly.
    assert "--abi=abi3" in baseimage.WHEEL_TARGET
    assert "--platform=manylinux_2_34_x86_64" in baseimage.WHEEL_TARGET
    assert "--python-version=3.11" in baseimage.WHEEL_TARGET


def test_emulator_context_has_an_empty_wheelhouse_for_official_builds() -> None:
    files = images.context_files(li.EMULATOR.context)
    assert "wheelhouse/.gitkeep" in files and "Dockerfile" in files
    assert not [f for f in files if f.endswith(".whl")]


def test_local_base_is_built_when_missing_and_the_wheelhouse_goes_into_the_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = FakeDocker(images=())
    built: list[str] = []

    def build_base(recipe: Any, *, docker_client: Any, progress: Any) -> str:
        built.append(recipe.tag)
        engine.image_tags.add(recipe.tag)
        return str(recipe.tag)

    (tmp_path / "moto-5.2.5-py3-none-any.whl").write_bytes(b"wheel")
    monkeypatch.setattr(li.baseimage, "build_base", build_base)
    monkeypatch.setattr(li.baseimage, "ensure_wheelhouse", lambda requirements, progress: tmp_path)

    spec = li.image_spec(engine, li.EMULATOR, lambda _m: None)
    assert built == [li.EMULATOR.local_base.tag]
    assert spec.buildargs["BASE_IMAGE"] == li.EMULATOR.local_base.tag
    context = images.prepare(spec, revision=li.LOCAL_REVISION).context
    with tarfile.open(fileobj=io.BytesIO(context)) as tar:
        assert "wheelhouse/moto-5.2.5-py3-none-any.whl" in tar.getnames()


def test_official_base_is_used_when_the_engine_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeDocker(images=(li.LB.official_base,))
    monkeypatch.setattr(li.baseimage, "build_base", lambda *a, **k: pytest.fail("no local base needed"))
    spec = li.image_spec(engine, li.LB, lambda _m: None)
    assert "BASE_IMAGE" not in spec.buildargs  # the Dockerfile's default: the official image


def test_an_existing_tag_is_not_rebuilt_and_a_change_gives_a_new_tag(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = FakeDocker(images=(li.LB.local_base.tag,))
    builds: list[str] = []

    def build_prepared(image: Any, *, docker_client: Any, progress: Any) -> str:
        builds.append(image.tag)
        engine.image_tags.add(image.tag)
        return str(image.tag)

    monkeypatch.setattr(li.images, "build_prepared", build_prepared)
    first = li.ensure_image(engine, li.LB, lambda _m: None)
    assert li.ensure_image(engine, li.LB, lambda _m: None) == first
    assert builds == [first]
    assert first.startswith(f"{li.LB.repository}:{li.LOCAL_REVISION}-")  # no git revision: commits elsewhere

    changed_context = tmp_path / "lb"
    changed_context.mkdir()
    for name in ("Dockerfile", "haproxy.cfg", ".dockerignore"):
        (changed_context / name).write_text((li.LB.context / name).read_text())
    (changed_context / "haproxy.cfg").write_text("# changed\n")
    changed = li.ImageRecipe("lb", li.LB.repository, changed_context, li.LB.official_base, li.LB.local_base)
    assert li.ensure_image(engine, changed, lambda _m: None) != first


def test_tar_files_and_host_port_helpers() -> None:
    data = dock.tar_files({"/etc/x/y.cfg": "hello"})
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.getmember("etc/x/y.cfg")
        extracted = tar.extractfile(member)
        assert extracted is not None and extracted.read() == b"hello"
        assert member.mode == 0o644

    engine = FakeDocker()
    container = engine.containers.create("lb:1", name="c", labels={}, ports={"80/tcp": ("127.0.0.1", None)})
    assert dock.host_port(container, 80) is None  # not started: nothing published yet
    container.start()
    assert dock.host_port(container, 80) == container.ports["80/tcp"]


def test_removing_a_container_that_is_already_gone_is_fine() -> None:
    engine = FakeDocker()
    container = engine.containers.create("lb:1", name="c", labels={})
    container.start()
    dock.remove_container(container, timeout=3)
    assert ("stop", "c", 3) in engine.calls
    dock.remove_container(container)  # NotFound now: nothing to do
