"""The four images of the local platform: app and nginx (build/images.py), lb and emulator (here).

The lb (HAProxy) and emulator (moto's server) images build exactly like the app's: a Dockerfile whose
base is a build argument defaulting to an official image, built here on a Debian base made by
humangov_deploy.build.baseimage (mmdebstrap + `docker import`, no registry) with Python packages from a
wheelhouse. The official bases are used when the engine already has them; nothing is ever pulled. The four
images, their bases and wheelhouses are made at the same time (baseimage.BuildInputs).
Tags name the exact build context (humangov_deploy.build.images.prepare), so an existing tag is not rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.build import baseimage, images
from humangov_deploy.platforms.local.tasks import Images

Progress = Callable[[str], None]

CONTAINERS_DIR = appsrc.REPO_ROOT / "containers"
WHEELHOUSE_DIR = "wheelhouse"
LOCAL_REVISION = "local"


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


def image_spec(
    client: Any, recipe: ImageRecipe, progress: Progress, inputs: baseimage.BuildInputs | None = None
) -> images.ImageSpec:
    """What to build for `recipe`; for a local base this makes sure the base and the wheelhouse exist."""
    if use_official(client, recipe.official_base):
        return images.ImageSpec(recipe.name, recipe.repository, recipe.context)
    with baseimage.shared_inputs(inputs, client, progress) as have:
        base = have.base(recipe.local_base)
        wheels = have.wheelhouse(recipe.requirements) if recipe.requirements is not None else None
        base.result()
        extra = {WHEELHOUSE_DIR: wheels.result()} if wheels is not None else {}
    return images.ImageSpec(
        recipe.name,
        recipe.repository,
        recipe.context,
        buildargs={"BASE_IMAGE": recipe.local_base.tag},
        extra_dirs=extra,
    )


def ensure_image(
    client: Any, recipe: ImageRecipe, progress: Progress, inputs: baseimage.BuildInputs | None = None
) -> str:
    """The recipe's image tag, built first if the engine does not have it."""
    # Tagged by content alone (not the git revision): these images never leave the machine, and a
    # commit elsewhere in the tree must not rebuild them.
    prepared = images.prepare(image_spec(client, recipe, progress, inputs), revision=LOCAL_REVISION)
    if baseimage.image_exists(client, prepared.tag):
        return prepared.tag
    return images.build_prepared(prepared, docker_client=client, progress=progress)


def all_images(client: Any, progress: Progress) -> Images:
    """The four images of the local platform, each built when missing, all at the same time.

    The three local bases, the two wheelhouses and then the four builds overlap: a first run costs
    about its slowest chain (base, then image) instead of the sum of them all.
    """
    return _images(client, progress, with_app=True)


def own_images(client: Any, progress: Progress) -> Images:
    """The lb and emulator images only (the app's and nginx's given by the caller)."""
    return _images(client, progress, with_app=False)


def _images(client: Any, progress: Progress, *, with_app: bool) -> Images:
    with baseimage.BuildInputs(client, progress=progress) as inputs, ThreadPoolExecutor(3) as pool:
        pair = (
            pool.submit(
                images.ensure_images,
                base=images.available_base(client),
                docker_client=client,
                progress=progress,
                inputs=inputs,
            )
            if with_app
            else None
        )
        lb = pool.submit(ensure_image, client, LB, progress, inputs)
        emulator = pool.submit(ensure_image, client, EMULATOR, progress, inputs)
        app = pair.result() if pair is not None else images.ImageSet(app="", nginx="")
        return Images(app=app.app, nginx=app.nginx, lb=lb.result(), emulator=emulator.result())
