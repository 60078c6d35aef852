"""Build the two HumanGov images (app, nginx) with the Docker SDK, from local or official bases.

`base="local"`: bases made here by mmdebstrap (humangov_deploy.build.baseimage) and the app's dependencies
from a wheelhouse inside the build context: no registry is needed. `base="official"`: the Dockerfiles'
defaults (python:3.11-slim-bookworm, nginx:1.27-bookworm) and PyPI, where a registry is reachable.

Tags are `<git revision>-<content hash>`, e.g. `humangov-app:1a2b3c4-dirty-5e6f...`. The revision says
where the image came from; the hash (of the exact build context, build arguments and base) makes the tag
name one content only. So an ECR repository can keep tags immutable even though work trees are often
dirty, and `ensure_images` can skip a build whose tag already exists.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from humangov_deploy import __version__
from humangov_deploy.appsrc import APP_DIR, NGINX_DIR
from humangov_deploy.build import baseimage
from humangov_deploy.errors import ConfigError, ImageBuildError
from humangov_deploy.progress import detail_sink

Progress = Callable[[str], None]
Base = Literal["local", "official"]

APP_REPOSITORY = "humangov-app"
NGINX_REPOSITORY = "humangov-nginx"
# The task's ports: gunicorn on 8000 (127.0.0.1 from nginx, same network namespace); nginx on 8080, the
# container port the load balancer targets (non-root processes cannot bind 80 on ECS/Fargate).
APP_PORT = 8000
NGINX_PORT = 8080
# Both images carry their health check at the same path; ECS task definitions run it as CMD.
HEALTHCHECK_COMMAND = ("/usr/local/bin/humangov-healthcheck",)
# gunicorn's graceful_timeout is 20 s; the platforms give containers this long before SIGKILL.
STOP_TIMEOUT_SECONDS = 30
# Run as this uid:gid (the images' USER); the platforms may repeat it (ECS `user`).
IMAGE_USER = "10001:10001"
PLATFORM = "linux/amd64"
# Must match the Dockerfiles' `ARG BASE_IMAGE` defaults (a unit test checks).
OFFICIAL_BASES = {"app": "python:3.11-slim-bookworm", "nginx": "nginx:1.27-bookworm"}
WHEELHOUSE_DIR = "wheelhouse"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class ImageSet:
    """The two images of one build, as local tags (`humangov-app:<tag>`)."""

    app: str
    nginx: str

    def as_dict(self) -> dict[str, str]:
        return {"app": self.app, "nginx": self.nginx}


@dataclass(frozen=True)
class ImageSpec:
    """One image to build: a context directory (filtered by its .dockerignore) plus extra directories."""

    name: str
    repository: str
    context_dir: Path
    buildargs: Mapping[str, str] = field(default_factory=dict)
    # Directories added to the context under the given name (the wheelhouse), without touching the tree.
    extra_dirs: Mapping[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedImage:
    spec: ImageSpec
    context: bytes
    tag: str
    buildargs: Mapping[str, str]


# --- public API ---------------------------------------------------------------------------------------


def available_base(docker_client: Any | None = None) -> Base:
    """`official` when the engine already has both official bases, else `local`: nothing is ever pulled.

    Where a registry is reachable, `docker pull` the two images of OFFICIAL_BASES first to build on them.
    """
    client = _client(docker_client)
    have = all(baseimage.image_exists(client, ref) for ref in OFFICIAL_BASES.values())
    return "official" if have else "local"


def build_images(
    *,
    base: Base | None = None,
    docker_client: Any | None = None,
    progress: Progress = print,
    revision: str | None = None,
    inputs: baseimage.BuildInputs | None = None,
) -> ImageSet:
    """Build both images at once (Docker's layer cache still applies) and return their tags.

    `base=None` builds on the official bases when the engine has them, else on local ones (available_base).
    """
    return _build_set(base, docker_client, progress, revision, inputs, skip_existing=False)


def ensure_images(
    *,
    base: Base | None = None,
    docker_client: Any | None = None,
    progress: Progress = print,
    revision: str | None = None,
    inputs: baseimage.BuildInputs | None = None,
) -> ImageSet:
    """Like build_images, but an image whose tag already exists is not built again."""
    return _build_set(base, docker_client, progress, revision, inputs, skip_existing=True)


def _build_set(
    base: Base | None,
    docker_client: Any | None,
    progress: Progress,
    revision: str | None,
    inputs: baseimage.BuildInputs | None,
    *,
    skip_existing: bool,
) -> ImageSet:
    client = _client(docker_client)
    base = base or available_base(client)
    prepared = prepare_images(
        base=base, docker_client=client, progress=progress, revision=revision, inputs=inputs
    )
    tags = build_all(prepared, docker_client=client, progress=progress, skip_existing=skip_existing)
    return ImageSet(app=tags["app"], nginx=tags["nginx"])


def build_all(
    prepared: Sequence[PreparedImage],
    *,
    docker_client: Any,
    progress: Progress,
    skip_existing: bool = True,
) -> dict[str, str]:
    """Build the images at the same time (the engine overlaps their steps); tags by image name."""
    todo = [p for p in prepared if not (skip_existing and baseimage.image_exists(docker_client, p.tag))]
    for image in prepared:
        if image not in todo:
            progress(f"{image.spec.name}: up to date {image.tag}")
    with ThreadPoolExecutor(max_workers=max(len(todo), 1), thread_name_prefix="humangov-build") as pool:
        futures = [
            pool.submit(build_prepared, p, docker_client=docker_client, progress=progress) for p in todo
        ]
        for future in futures:
            future.result()
    return {p.spec.name: p.tag for p in prepared}


def image_specs(
    *,
    base: Base,
    docker_client: Any | None = None,
    progress: Progress = print,
    app_dir: Path = APP_DIR,
    nginx_dir: Path = NGINX_DIR,
    inputs: baseimage.BuildInputs | None = None,
) -> list[ImageSpec]:
    """What to build for `base`; for "local" this makes sure the bases and the wheelhouse exist."""
    if base == "official":
        return [
            ImageSpec("app", APP_REPOSITORY, app_dir),
            ImageSpec("nginx", NGINX_REPOSITORY, nginx_dir),
        ]
    if base != "local":
        raise ConfigError(f"unknown base {base!r}: use 'local' (built here) or 'official' (pulled)")
    requirements = app_dir / "requirements.txt"
    if not requirements.is_file():
        raise ConfigError(f"{requirements} is missing: the app image installs its dependencies from it")
    with baseimage.shared_inputs(inputs, docker_client, progress) as have:
        # Ask for all three before waiting on any: they are made at the same time.
        app_base = have.base(baseimage.RECIPES["app"])
        nginx_base = have.base(baseimage.RECIPES["nginx"])
        wheels = have.wheelhouse(requirements)
        bases = {"app": app_base.result(), "nginx": nginx_base.result()}
        wheelhouse = wheels.result()
    return [
        ImageSpec(
            "app",
            APP_REPOSITORY,
            app_dir,
            buildargs={"BASE_IMAGE": bases["app"], "WHEELHOUSE": WHEELHOUSE_DIR},
            extra_dirs={WHEELHOUSE_DIR: wheelhouse},
        ),
        ImageSpec("nginx", NGINX_REPOSITORY, nginx_dir, buildargs={"BASE_IMAGE": bases["nginx"]}),
    ]


def prepare_images(
    *,
    base: Base,
    docker_client: Any | None,
    progress: Progress,
    revision: str | None,
    inputs: baseimage.BuildInputs | None = None,
) -> list[PreparedImage]:
    specs = image_specs(base=base, docker_client=docker_client, progress=progress, inputs=inputs)
    return [prepare(spec, revision=revision) for spec in specs]


def prepare(spec: ImageSpec, *, revision: str | None = None) -> PreparedImage:
    """The build context as a deterministic tarball, and the tag that names exactly that content."""
    context = context_tar(spec.context_dir, spec.extra_dirs)
    rev = revision or git_revision(spec.context_dir)
    buildargs = {**spec.buildargs, "VERSION": __version__, "REVISION": rev}
    digest = hashlib.sha256(context)
    digest.update(json.dumps({**spec.buildargs, "platform": PLATFORM}, sort_keys=True).encode())
    tag = f"{spec.repository}:{_tag_safe(rev)}-{digest.hexdigest()[:12]}"
    return PreparedImage(spec=spec, context=context, tag=tag, buildargs=buildargs)


def build_prepared(
    image: PreparedImage, *, docker_client: Any | None = None, progress: Progress = print
) -> str:
    """Run one build, its output to `detail_sink(progress)`; a failure is ImageBuildError with its step."""
    client = _client(docker_client)
    name = image.spec.name
    started = time.monotonic()
    progress(f"{name}: building {image.tag}")
    detail = detail_sink(progress)
    step: list[str] = []
    try:
        stream = client.api.build(
            fileobj=io.BytesIO(image.context),
            custom_context=True,
            tag=image.tag,
            buildargs=dict(image.buildargs),
            rm=True,
            forcerm=True,
            decode=True,
            platform=PLATFORM,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise ImageBuildError(image.tag, "\n".join([*step, str(detail).strip()]))
            for line in _lines(chunk):
                if line.startswith("Step "):
                    step = []
                step.append(line)
                detail(f"{name}: {line}")
    except ImageBuildError:
        raise
    except Exception as exc:  # the daemon refused the build (bad Dockerfile, missing base, ...)
        raise ImageBuildError(image.tag, "\n".join([*step, str(exc)])) from exc
    if not baseimage.image_exists(client, image.tag):
        raise ImageBuildError(image.tag, "\n".join([*step, "the build ended without producing the image"]))
    progress(f"{name}: built {image.tag} in {time.monotonic() - started:.1f} s")
    return image.tag


def image_size(ref: str, *, docker_client: Any | None = None) -> int:
    """Size in bytes of a local image (all its layers, as `docker images` shows)."""
    return int(_client(docker_client).images.get(ref).attrs["Size"])


# --- helpers ------------------------------------------------------------------------------------------


def git_revision(path: Path) -> str:
    """Short commit of the tree holding `path`, with `-dirty` when files under `path` differ from it."""
    try:
        sha = _git(path, "rev-parse", "--short=12", "HEAD")
        dirty = _git(path, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def _git(path: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    return result.stdout.strip()


def _tag_safe(text: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in text)
    return safe[:80] or "unknown"


def context_files(context_dir: Path) -> list[str]:
    """Files of the context that its .dockerignore lets in, sorted (relative paths)."""
    from docker.utils.build import exclude_paths

    ignore = context_dir / ".dockerignore"
    patterns: list[str] = []
    if ignore.is_file():
        for line in ignore.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                patterns.append(line)
    included = exclude_paths(str(context_dir), patterns, dockerfile="Dockerfile")
    return sorted(p for p in included if (context_dir / p).is_file())


def context_tar(context_dir: Path, extra_dirs: Mapping[str, Path] | None = None) -> bytes:
    """The build context as a reproducible tarball: same files, same bytes (so the same tag)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in context_files(context_dir):
            _add(tar, context_dir / rel, rel)
        for name, directory in sorted((extra_dirs or {}).items()):
            for path in sorted(_walk(directory)):
                _add(tar, path, f"{name}/{path.relative_to(directory).as_posix()}")
    return buffer.getvalue()


def _walk(directory: Path) -> Iterator[Path]:
    for root, _dirs, files in os.walk(directory):
        for file in files:
            yield Path(root) / file


def _add(tar: tarfile.TarFile, path: Path, arcname: str) -> None:
    info = tarfile.TarInfo(arcname)
    data = path.read_bytes()
    info.size = len(data)
    # Only the executable bit matters to the image; owners and times would make every tarball unique.
    info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def _lines(chunk: Mapping[str, Any]) -> Iterator[str]:
    text = chunk.get("stream")
    if text is None and "status" in chunk:  # pulling an official base
        text = " ".join(str(chunk[k]) for k in ("status", "id") if chunk.get(k))
    # The daemon colours a step's stderr with ANSI escapes: plain text reads better in an error.
    for line in _ANSI.sub("", str(text or "")).splitlines():
        line = line.rstrip()
        if line:
            yield line


def _client(docker_client: Any | None) -> Any:
    return baseimage.connect(docker_client)
