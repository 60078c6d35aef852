"""images.py without a Docker engine: build contexts, content-addressed tags, streamed builds, errors."""

from __future__ import annotations

import io
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from humangov_deploy.build import images
from humangov_deploy.build.images import ImageSpec
from humangov_deploy.errors import ConfigError, ImageBuildError


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    (ctx / "pkg" / "__pycache__").mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    (ctx / ".dockerignore").write_text("*\n!pkg/\n!run.sh\n**/__pycache__\n")
    (ctx / "pkg" / "mod.py").write_text("x = 1\n")
    (ctx / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (ctx / "run.sh").write_text("#!/bin/sh\n")
    (ctx / "run.sh").chmod(0o755)
    (ctx / ".env").write_text("SECRET_KEY=leak\n")
    (ctx / "tests").mkdir()
    (ctx / "tests" / "test_x.py").write_text("")
    return ctx


def _members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_context_honours_dockerignore_and_adds_extra_dirs(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "a-1-py3-none-any.whl").write_bytes(b"w")
    members = _members(images.context_tar(ctx, {"wheelhouse": wheels}))
    # Like the docker CLI, the context always carries the Dockerfile and .dockerignore themselves.
    assert sorted(members) == [
        ".dockerignore",
        "Dockerfile",
        "pkg/mod.py",
        "run.sh",
        "wheelhouse/a-1-py3-none-any.whl",
    ]
    assert members["run.sh"].mode == 0o755 and members["pkg/mod.py"].mode == 0o644
    assert {m.mtime for m in members.values()} == {0}


def test_context_is_reproducible_and_tracks_content(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    first = images.context_tar(ctx)
    (ctx / "pkg" / "mod.py").touch()  # a new mtime alone changes nothing
    assert images.context_tar(ctx) == first
    (ctx / ".env").write_text("SECRET_KEY=other\n")  # ignored files change nothing either
    assert images.context_tar(ctx) == first
    (ctx / "pkg" / "mod.py").write_text("x = 2\n")
    assert images.context_tar(ctx) != first


def test_tag_names_revision_and_content(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    spec = ImageSpec("app", "humangov-app", ctx, buildargs={"BASE_IMAGE": "base:1"})
    one = images.prepare(spec, revision="abc1234")
    assert one.tag.startswith("humangov-app:abc1234-") and len(one.tag.rsplit("-", 1)[1]) == 12
    assert one.buildargs["REVISION"] == "abc1234" and one.buildargs["BASE_IMAGE"] == "base:1"
    assert images.prepare(spec, revision="abc1234").tag == one.tag
    other_base = ImageSpec("app", "humangov-app", ctx, buildargs={"BASE_IMAGE": "base:2"})
    assert images.prepare(other_base, revision="abc1234").tag != one.tag
    (ctx / "pkg" / "mod.py").write_text("x = 3\n")
    assert images.prepare(spec, revision="abc1234").tag != one.tag
    assert images.prepare(spec, revision="a/b c").tag.startswith("humangov-app:a-b-c-")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_git_revision_is_dirty_only_for_changes_under_the_context(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    ctx = repo / "containers" / "app"
    ctx.mkdir(parents=True)
    (ctx / "a.py").write_text("1\n")
    (repo / "README").write_text("r\n")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    clean = images.git_revision(ctx)
    assert len(clean) == 12 and not clean.endswith("-dirty")
    (repo / "README").write_text("changed\n")
    assert images.git_revision(ctx) == clean
    (ctx / "a.py").write_text("2\n")
    assert images.git_revision(ctx) == f"{clean}-dirty"
    assert images.git_revision(tmp_path / "nowhere") == "unknown"


class _Api:
    def __init__(self, chunks: list[dict[str, Any]], raises: Exception | None = None) -> None:
        self.chunks, self.raises, self.calls = chunks, raises, []  # type: ignore[var-annotated]

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        if self.raises:
            raise self.raises
        yield from self.chunks


class _Images:
    def __init__(self, existing: set[str]) -> None:
        self.existing = existing

    def get(self, ref: str) -> Any:
        import docker.errors

        if ref not in self.existing:
            raise docker.errors.ImageNotFound(ref)
        return object()


class _Docker:
    def __init__(self, chunks: list[dict[str, Any]], existing: set[str], raises: Exception | None = None):
        self.api = _Api(chunks, raises)
        self.images = _Images(existing)


def _prepared(tmp_path: Path) -> images.PreparedImage:
    return images.prepare(ImageSpec("app", "humangov-app", _context(tmp_path)), revision="r1")


def test_build_streams_output_and_passes_build_args(tmp_path: Path) -> None:
    image = _prepared(tmp_path)
    chunks = [{"stream": "Step 1/2 : FROM base\n"}, {"stream": " ---> abc\n"}, {"aux": {"ID": "sha256:1"}}]
    fake = _Docker(chunks, existing={image.tag})
    seen: list[str] = []
    assert images.build_prepared(image, docker_client=fake, progress=seen.append) == image.tag
    assert "app: Step 1/2 : FROM base" in seen and "app:  ---> abc" in seen
    call = fake.api.calls[0]
    assert call["custom_context"] is True and call["tag"] == image.tag
    assert call["buildargs"]["REVISION"] == "r1" and call["platform"] == "linux/amd64"
    assert _members(call["fileobj"].getvalue()).keys() == _members(image.context).keys()


def test_build_failure_carries_only_the_failing_step(tmp_path: Path) -> None:
    image = _prepared(tmp_path)
    chunks = [
        {"stream": "Step 1/3 : FROM base\n"},
        {"stream": "Step 2/3 : RUN pip install -r requirements.txt\n"},
        # The daemon colours a step's stderr; the error carries plain text.
        {"stream": "\x1b[91mERROR: No matching distribution found for flask==99\n\x1b[0m"},
        {"error": "The command returned a non-zero code: 1", "errorDetail": {"message": "non-zero code: 1"}},
    ]
    with pytest.raises(ImageBuildError) as caught:
        images.build_prepared(image, docker_client=_Docker(chunks, set()), progress=lambda _: None)
    assert caught.value.image == image.tag
    assert caught.value.step_output.splitlines() == [
        "Step 2/3 : RUN pip install -r requirements.txt",
        "ERROR: No matching distribution found for flask==99",
        "non-zero code: 1",
    ]


def test_daemon_refusal_and_missing_result_are_build_errors(tmp_path: Path) -> None:
    image = _prepared(tmp_path)
    refused = _Docker([], set(), raises=RuntimeError("dockerfile parse error line 3"))
    with pytest.raises(ImageBuildError, match="parse error line 3") as caught:
        images.build_prepared(image, docker_client=refused, progress=lambda _: None)
    assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(ImageBuildError, match="without producing"):
        images.build_prepared(image, docker_client=_Docker([], set()), progress=lambda _: None)


def test_ensure_images_builds_only_missing_tags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = images.prepare(ImageSpec("app", "humangov-app", _context(tmp_path)), revision="r")
    nginx = images.prepare(ImageSpec("nginx", "humangov-nginx", _context(tmp_path / "n")), revision="r")
    monkeypatch.setattr(images, "prepare_images", lambda **_: [app, nginx])
    fake = _Docker([{"stream": "Step 1/1 : FROM x\n"}], existing={app.tag, nginx.tag})
    result = images.ensure_images(docker_client=fake, progress=lambda _: None)
    assert result == images.ImageSet(app=app.tag, nginx=nginx.tag)
    assert fake.api.calls == []
    fake.images.existing = {app.tag}
    built: list[str] = []
    monkeypatch.setattr(images, "build_prepared", lambda image, **_: built.append(image.tag) or image.tag)
    images.ensure_images(docker_client=fake, progress=lambda _: None)
    assert built == [nginx.tag]


def test_official_base_needs_no_local_tooling(tmp_path: Path) -> None:
    specs = images.image_specs(base="official", docker_client=object())
    assert [(s.name, s.repository, dict(s.buildargs)) for s in specs] == [
        ("app", "humangov-app", {}),
        ("nginx", "humangov-nginx", {}),
    ]
    with pytest.raises(ConfigError, match="unknown base"):
        images.image_specs(base="alpine", docker_client=object())  # type: ignore[arg-type]


class _Engine:
    """Just enough of a docker client for available_base: which image references exist."""

    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.images = self

    def get(self, ref: str) -> object:
        import docker.errors

        if ref not in self.present:
            raise docker.errors.ImageNotFound(ref)
        return object()


def test_available_base_is_official_only_when_both_official_bases_are_in_the_engine() -> None:
    both = set(images.OFFICIAL_BASES.values())
    assert images.available_base(_Engine(both)) == "official"
    assert images.available_base(_Engine({images.OFFICIAL_BASES["app"]})) == "local"
    assert images.available_base(_Engine(set())) == "local"


def test_missing_images_are_built_at_the_same_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = images.prepare(ImageSpec("app", "humangov-app", _context(tmp_path)), revision="r")
    nginx = images.prepare(ImageSpec("nginx", "humangov-nginx", _context(tmp_path / "n")), revision="r")
    meeting = threading.Barrier(2, timeout=10)  # one build after the other would never meet the other

    def build_prepared(image: images.PreparedImage, **_: Any) -> str:
        meeting.wait()
        return image.tag

    monkeypatch.setattr(images, "build_prepared", build_prepared)
    tags = images.build_all([app, nginx], docker_client=_Docker([], set()), progress=lambda _: None)
    assert tags == {"app": app.tag, "nginx": nginx.tag}
