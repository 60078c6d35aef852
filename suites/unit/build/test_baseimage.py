"""Local base recipes, the host's Debian mirror, mmdebstrap's command line and the wheelhouse cache."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from images_testkit import fake_mmdebstrap

from humangov_deploy.build import baseimage
from humangov_deploy.build.baseimage import RECIPES, Recipe
from humangov_deploy.errors import ConfigError, ImageBuildError


def test_recipe_tag_is_content_addressed() -> None:
    app = RECIPES["app"]
    same = Recipe("app", tuple(reversed(app.packages)))
    other = Recipe("app", (*app.packages, "tini"))
    assert app.tag == same.tag  # package order does not matter
    assert app.tag != other.tag
    assert app.tag.startswith("humangov-base-app:bookworm-")
    assert RECIPES["nginx"].tag != app.tag


def test_recipe_version_changes_every_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    before = {name: r.tag for name, r in RECIPES.items()}
    monkeypatch.setattr(baseimage, "RECIPE_VERSION", baseimage.RECIPE_VERSION + 1)
    assert all(RECIPES[name].tag != tag for name, tag in before.items())


def test_bases_carry_what_the_dockerfiles_need() -> None:
    # python3-venv for `python3 -m venv`, passwd for `useradd`; no compiler in either.
    assert {"python3", "python3-venv", "passwd"} <= set(RECIPES["app"].packages)
    assert {"nginx", "passwd"} <= set(RECIPES["nginx"].packages)
    for recipe in RECIPES.values():
        assert not {"gcc", "build-essential", "make", "curl"} & set(recipe.packages)


def _apt(tmp_path: Path, sources: str = "", deb822: dict[str, str] | None = None) -> Path:
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text(sources)
    for name, text in (deb822 or {}).items():
        (etc / "sources.list.d" / name).write_text(text)
    return etc


DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirrors_come_from_the_hosts_deb822_sources(tmp_path: Path) -> None:
    etc = _apt(
        tmp_path, deb822={"debian.sources": DEB822, "other.sources": "Types: deb\nURIs: https://x/y\n"}
    )
    assert baseimage.debian_mirrors(etc_apt=etc, environ={}) == [
        "deb http://mirror.example/debian bookworm main",
        "deb http://mirror.example/debian bookworm-updates main",
        "deb http://mirror.example/debian-security bookworm-security main",
    ]


def test_mirrors_from_one_line_sources_skip_deb_src_and_options(tmp_path: Path) -> None:
    etc = _apt(
        tmp_path,
        "deb-src http://src.example/debian bookworm main\n"
        "# deb http://commented.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian trixie main\n"
        "deb http://one.example/debian-security trixie-security main\n",
    )
    lines = baseimage.debian_mirrors(etc_apt=etc, environ={})
    # The host may run another release: its mirror, but always the bookworm suites the images need.
    assert lines[0] == "deb http://one.example/debian bookworm main"
    assert lines[2] == "deb http://one.example/debian-security bookworm-security main"


def test_mirror_override_and_fallback(tmp_path: Path) -> None:
    etc = _apt(tmp_path, "deb http://archive.ubuntu.com/ubuntu noble main\n")
    fallback = baseimage.debian_mirrors(etc_apt=etc, environ={})
    assert fallback[0] == f"deb {baseimage.DEFAULT_MIRROR} bookworm main"
    env = {
        "HUMANGOV_DEBIAN_MIRROR": "http://m.example/d/",
        "HUMANGOV_DEBIAN_SECURITY_MIRROR": "http://s.example",
    }
    overridden = baseimage.debian_mirrors(etc_apt=etc, environ=env)
    assert overridden == [
        "deb http://m.example/d bookworm main",
        "deb http://m.example/d bookworm-updates main",
        "deb http://s.example bookworm-security main",
    ]


def test_mmdebstrap_command_is_small_and_reproducible(tmp_path: Path) -> None:
    mirrors = ["deb http://m/debian bookworm main"]
    command = baseimage.mmdebstrap_command(RECIPES["app"], tmp_path / "out.tar", mirrors)
    assert command[0] == "mmdebstrap"
    assert "--variant=essential" in command
    assert any(c.startswith("--hook-dir=") and c.endswith("merged-usr") for c in command)
    assert f"--include={','.join(RECIPES['app'].packages)}" in command
    excludes = [c for c in command if c.startswith("--dpkgopt=path-exclude=")]
    assert {"/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*"} <= {
        c.split("=", 2)[2] for c in excludes
    }
    # suite, output, then the mirrors: always explicit (mmdebstrap would read stdin otherwise).
    assert command[-3:] == ["bookworm", str(tmp_path / "out.tar"), *mirrors]


class _Pip:
    """Stands in for `pip download`: writes wheels into --dest, or fails."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        if self.fail:
            return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution for nope")
        dest = Path(command[command.index("--dest") + 1])
        (dest / "flask-3.1.3-py3-none-any.whl").write_bytes(b"wheel")
        return subprocess.CompletedProcess(command, 0, "", "")


def test_wheelhouse_is_downloaded_once_per_requirements(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==3.1.3\n")
    pip = _Pip()
    first = baseimage.ensure_wheelhouse(requirements, progress=lambda _: None, cache=tmp_path / "c", run=pip)
    second = baseimage.ensure_wheelhouse(requirements, progress=lambda _: None, cache=tmp_path / "c", run=pip)
    assert first == second and len(pip.calls) == 1
    assert [p.name for p in first.glob("*.whl")] == ["flask-3.1.3-py3-none-any.whl"]
    # Wheels for the image's CPython 3.11, binary only (no compiler in the image), whatever runs pip.
    assert {"--only-binary=:all:", "--python-version=3.11", "--abi=cp311"} <= set(pip.calls[0])

    requirements.write_text("flask==3.1.3\ngunicorn==27.0.1\n")
    third = baseimage.ensure_wheelhouse(requirements, progress=lambda _: None, cache=tmp_path / "c", run=pip)
    assert third != first and len(pip.calls) == 2


def test_wheelhouse_failure_carries_pips_output_and_leaves_nothing(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("nope==1\n")
    with pytest.raises(ImageBuildError, match="No matching distribution"):
        baseimage.ensure_wheelhouse(
            requirements, progress=lambda _: None, cache=tmp_path / "c", run=_Pip(True)
        )
    assert list((tmp_path / "c").iterdir()) == []


def test_the_repositorys_requirements_are_all_pinned() -> None:
    # The wheelhouse key is the file's bytes: an unpinned line would make one key name many wheelhouses.
    requirements = Path(baseimage.__file__).resolve().parents[1] / "containers" / "app" / "requirements.txt"
    lines = [ln.split("#")[0].strip() for ln in requirements.read_text().splitlines()]
    assert [ln for ln in lines if ln and "==" not in ln] == []


class _Api:
    def __init__(self) -> None:
        self.imports: list[dict[str, Any]] = []

    def import_image(self, **kwargs: Any) -> None:
        assert Path(kwargs["src"]).read_bytes() == b"rootfs"  # the tarball mmdebstrap wrote
        self.imports.append(kwargs)


class _Images:
    def __init__(self, existing: set[str]) -> None:
        self.existing = existing

    def get(self, ref: str) -> object:
        import docker.errors

        if ref not in self.existing:
            raise docker.errors.ImageNotFound(ref)
        return object()


class _Docker:
    def __init__(self, existing: set[str] | None = None) -> None:
        self.api = _Api()
        self.images = _Images(existing or set())


def test_build_base_imports_mmdebstraps_tarball(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = fake_mmdebstrap(tmp_path, monkeypatch, exit_code=0)
    fake = _Docker()
    seen: list[str] = []
    tag = baseimage.build_base(
        RECIPES["nginx"],
        docker_client=fake,
        progress=seen.append,
        mirrors=["deb http://m/debian bookworm main"],
    )
    assert tag == RECIPES["nginx"].tag
    (imported,) = fake.api.imports
    assert f"{imported['repository']}:{imported['tag']}" == tag
    assert list(imported["changes"]) == list(baseimage.IMPORT_CHANGES)
    assert "--include=nginx,passwd" in log.read_text().splitlines()
    assert any("downloading packages" in line for line in seen)


def test_failing_mmdebstrap_is_a_build_error_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_mmdebstrap(tmp_path, monkeypatch, exit_code=1)
    fake = _Docker()
    with pytest.raises(ImageBuildError, match="Unable to locate package nginx-bogus"):
        baseimage.build_base(
            RECIPES["nginx"], docker_client=fake, progress=lambda _: None, mirrors=["deb x y z"]
        )
    assert fake.api.imports == []


def test_missing_mmdebstrap_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baseimage.shutil, "which", lambda _: None)
    with pytest.raises(ConfigError, match="apt-get install -y mmdebstrap"):
        baseimage.build_base(RECIPES["app"], docker_client=_Docker(), progress=lambda _: None, mirrors=[])


def test_ensure_bases_builds_only_the_missing_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    monkeypatch.setattr(baseimage, "build_base", lambda recipe, **_: built.append(recipe.name) or recipe.tag)
    monkeypatch.setattr(baseimage, "debian_mirrors", lambda *a, **k: ["deb http://m/debian bookworm main"])
    fake = _Docker(existing={RECIPES["app"].tag})
    tags = baseimage.ensure_bases(["app", "nginx"], docker_client=fake, progress=lambda _: None)
    assert tags == {"app": RECIPES["app"].tag, "nginx": RECIPES["nginx"].tag}
    assert built == ["nginx"]


def test_build_inputs_make_each_input_once_and_all_of_them_at_the_same_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Three bases and a wheelhouse meet at one barrier: made one after another, they would never all arrive.
    meeting = threading.Barrier(4, timeout=10)
    built: list[str] = []

    def build_base(recipe: Recipe, **_: Any) -> str:
        meeting.wait()
        built.append(recipe.name)
        return recipe.tag

    def ensure_wheelhouse(requirements: Path, **_: Any) -> Path:
        meeting.wait()
        return tmp_path

    monkeypatch.setattr(baseimage, "build_base", build_base)
    monkeypatch.setattr(baseimage, "ensure_wheelhouse", ensure_wheelhouse)
    with baseimage.BuildInputs(_Docker(), progress=lambda _: None) as inputs:
        asked = [
            inputs.base(RECIPES["app"]),
            inputs.base(RECIPES["nginx"]),
            inputs.base(Recipe("lb", ("x",))),
        ]
        wheels = inputs.wheelhouse(tmp_path / "requirements.txt")
        assert inputs.base(RECIPES["app"]) is asked[0], "a second image asking shares the first build"
        assert [f.result() for f in asked] == [
            RECIPES["app"].tag,
            RECIPES["nginx"].tag,
            Recipe("lb", ("x",)).tag,
        ]
        assert wheels.result() == tmp_path
    assert sorted(built) == ["app", "lb", "nginx"]
