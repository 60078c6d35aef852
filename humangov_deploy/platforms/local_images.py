"""The four images of the local platform: app and nginx (humangov_deploy.images), lb and emulator (here).

The lb (HAProxy) and emulator (moto's server) images build exactly like the app's: a Dockerfile whose
base is a build argument defaulting to an official image, built here on a Debian base made by
humangov_deploy.baseimage (mmdebstrap + `docker import`, no registry) with Python packages from a
wheelhouse. The official bases are used when the engine already has them; nothing is ever pulled.
Tags name the exact build context (humangov_deploy.images.prepare), so an existing tag is not rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov_deploy import appsrc, baseimage, images
from humangov_deploy.errors import ImageBuildError
from humangov_deploy.platforms.local_tasks import Images

Progress = Callable[[str], None]

CONTAINERS_DIR = appsrc.REPO_ROOT / "containers"
WHEELHOUSE_DIR = "wheelhouse"
LOCAL_REVISION = "local"
# The image's interpreter (Debian bookworm's CPython 3.11, glibc 2.36), whatever Python runs this
# library. pip does not widen an explicit --platform to older glibc tags, nor --abi to abi3, and moto's
# dependencies ship as abi3 (cryptography) and manylinux_2_17/2_28/2_34 wheels: so all are listed.
WHEEL_TARGET: tuple[str, ...] = (
    "--python-version=3.11",
    "--implementation=cp",
    "--abi=cp311",
    "--abi=abi3",
    *(
        f"--platform={p}_x86_64"
        for p in (
            "manylinux_2_36",
            "manylinux_2_34",
            "manylinux_2_28",
            "manylinux_2_17",
            "manylinux2014",
            "manylinux1",
        )
    ),
)


@dataclass(frozen=True)
class ImageRecipe:
    """One of the local platform's own images: its build context and the two bases it can build on."""

    name: str
    repository: str
    context: Path
    official_base: str
    local_base: baseimage.Recipe
    # Installed from a wheelhouse on the local base (None: the image needs no Python packages).
    requirements: Path | None = None


LB = ImageRecipe(
    name="lb",
    repository="humangov-lb",
    context=CONTAINERS_DIR / "lb",
    official_base="haproxy:2.8-bookworm",
    local_base=baseimage.Recipe("lb", ("haproxy",)),
)
EMULATOR = ImageRecipe(
    name="emulator",
    repository="humangov-emulator",
    context=CONTAINERS_DIR / "emulator",
    official_base="python:3.11-slim-bookworm",
    # The app's base (Python 3.11, venv, useradd): one Debian tree for both, built once per machine.
    local_base=baseimage.RECIPES["app"],
    requirements=CONTAINERS_DIR / "emulator" / "requirements.txt",
)


def use_official(client: Any, *refs: str) -> bool:
    """Official bases only when the engine already has every one of them: nothing is pulled here."""
    return all(baseimage.image_exists(client, ref) for ref in refs)


def image_spec(client: Any, recipe: ImageRecipe, progress: Progress) -> images.ImageSpec:
    """What to build for `recipe`; for a local base this makes sure the base and the wheelhouse exist."""
    if use_official(client, recipe.official_base):
        return images.ImageSpec(recipe.name, recipe.repository, recipe.context)
    if not baseimage.image_exists(client, recipe.local_base.tag):
        progress(f"{recipe.official_base} is not here: building base {recipe.local_base.tag} from Debian")
        baseimage.build_base(recipe.local_base, docker_client=client, progress=progress)
    extra: dict[str, Path] = {}
    if recipe.requirements is not None:
        extra[WHEELHOUSE_DIR] = ensure_wheelhouse(recipe.requirements, progress)
    return images.ImageSpec(
        recipe.name,
        recipe.repository,
        recipe.context,
        buildargs={"BASE_IMAGE": recipe.local_base.tag},
        extra_dirs=extra,
    )


def ensure_image(client: Any, recipe: ImageRecipe, progress: Progress) -> str:
    """The recipe's image tag, built first if the engine does not have it."""
    # Tagged by content alone (not the git revision): these images never leave the machine, and a
    # commit elsewhere in the tree must not rebuild them.
    prepared = images.prepare(image_spec(client, recipe, progress), revision=LOCAL_REVISION)
    if baseimage.image_exists(client, prepared.tag):
        return prepared.tag
    return images.build_prepared(prepared, docker_client=client, progress=progress)


def app_images(client: Any, progress: Progress) -> tuple[str, str]:
    """The app and nginx images of the current tree, built when missing."""
    base: images.Base = "official" if use_official(client, *images.OFFICIAL_BASES.values()) else "local"
    built = images.ensure_images(base=base, docker_client=client, progress=progress)
    return built.app, built.nginx


def ensure_wheelhouse(requirements: Path, progress: Progress, cache: Path | None = None) -> Path:
    """Every wheel `requirements` needs for the image's Python, downloaded once (cached by content)."""
    key = hashlib.sha256(requirements.read_bytes() + json.dumps(WHEEL_TARGET).encode()).hexdigest()[:16]
    root = cache or baseimage.cache_dir()
    target = root / f"wheelhouse-{requirements.parent.name}-{key}"
    if target.is_dir() and any(target.glob("*.whl")):
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="wheelhouse-", dir=root))
    try:
        progress(f"wheelhouse: pip download -r {requirements} for CPython 3.11 manylinux x86_64")
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet"]
        command += ["--only-binary=:all:", *WHEEL_TARGET, "-r", str(requirements), "-d", str(staging)]
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ImageBuildError(f"wheelhouse for {requirements}", (result.stdout + result.stderr)[-4000:])
        try:
            staging.rename(target)  # atomic: a concurrent run never sees half a wheelhouse
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def all_images(client: Any, progress: Progress) -> Images:
    """The four images of the local platform, each built when missing."""
    app, nginx = app_images(client, progress)
    own = own_images(client, progress)
    return Images(app=app, nginx=nginx, lb=own.lb, emulator=own.emulator)


def own_images(client: Any, progress: Progress) -> Images:
    """The lb and emulator images only (the app's and nginx's given by the caller)."""
    return Images(
        app="",
        nginx="",
        lb=ensure_image(client, LB, progress),
        emulator=ensure_image(client, EMULATOR, progress),
    )
