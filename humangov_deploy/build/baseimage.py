"""Local base images and the wheelhouse: how the images build where no registry can be pulled from.

A base is a Debian tree made by `mmdebstrap` from the host's own Debian mirror (read from its apt sources
at run time) and turned into an image by `docker import`. Its tag is a hash of the recipe (suite,
packages, dpkg excludes, recipe version), so a base is built once per machine and reused until the recipe
changes; a code change never rebuilds it. The wheelhouse (every wheel of containers/app/requirements.txt,
for CPython 3.11 on manylinux x86_64) is cached the same way, keyed by the requirements file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from humangov_deploy.cache import cache_dir
from humangov_deploy.errors import ConfigError, ImageBuildError
from humangov_deploy.progress import detail_sink

Progress = Callable[[str], None]

SUITE = "bookworm"
# Bump when anything below changes the tree a recipe produces (hook, excludes, import changes).
RECIPE_VERSION = 1
# Docs, man pages, locales: nothing in a container reads them. Copyright files stay (licences).
DPKG_EXCLUDES: tuple[str, ...] = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/lintian/*",
)
# Image config of an imported tree (docker import has none of its own).
IMPORT_CHANGES: tuple[str, ...] = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["/bin/bash"]',
)
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SECURITY_MIRROR = "http://deb.debian.org/debian-security"
# The image's interpreter: the wheelhouse is resolved for it, whatever Python runs this library.
# pip does not widen an explicit --platform to older glibc levels, nor --abi to abi3, so every level
# bookworm's glibc 2.36 can run is listed (and the legacy aliases), newest first, and abi3 too (moto's
# emulator image needs cryptography, which ships cp311-abi3 wheels only).
WHEEL_TARGET: tuple[str, ...] = (
    "--python-version=3.11",
    "--implementation=cp",
    "--abi=cp311",
    "--abi=abi3",
    *(f"--platform=manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)),
    "--platform=manylinux2014_x86_64",
    "--platform=manylinux2010_x86_64",
    "--platform=manylinux1_x86_64",
)


@dataclass(frozen=True)
class Recipe:
    """One base image: Debian `suite` (variant essential) plus `packages`."""

    name: str
    packages: tuple[str, ...]
    suite: str = SUITE

    @property
    def repository(self) -> str:
        return f"humangov-base-{self.name}"

    def fingerprint(self) -> str:
        spec = {
            "version": RECIPE_VERSION,
            "suite": self.suite,
            "packages": sorted(self.packages),
            "excludes": DPKG_EXCLUDES,
            "changes": IMPORT_CHANGES,
        }
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"{self.repository}:{self.suite}-{self.fingerprint()}"


# Two bases rather than one: the proxy image carries no Python, the app image no nginx (measured:
# about 110 MB and 72 MB as tarballs). `passwd` for useradd; tini is not needed: gunicorn and nginx are
# PID 1 themselves and handle SIGTERM/SIGQUIT and reap their own workers.
RECIPES: dict[str, Recipe] = {
    "app": Recipe("app", ("python3", "python3-venv", "ca-certificates", "passwd")),
    "nginx": Recipe("nginx", ("nginx", "passwd")),
}


# --- the host's Debian mirror -------------------------------------------------------------------------


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]


def read_apt_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """Every `deb` source of the host: one-line sources.list files and deb822 `.sources` files."""
    found: list[AptSource] = []
    lists = [etc_apt / "sources.list", *sorted((etc_apt / "sources.list.d").glob("*.list"))]
    for path in lists:
        if path.is_file():
            found.extend(_one_line_sources(path.read_text(errors="replace")))
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        found.extend(_deb822_sources(path.read_text(errors="replace")))
    return found


def _one_line_sources(text: str) -> Iterable[AptSource]:
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = words[1:]
        if len(words) >= 2:
            yield AptSource(uri=words[0], suites=(words[1],))


def _deb822_sources(text: str) -> Iterable[AptSource]:
    for paragraph in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield AptSource(uri=uri, suites=tuple(fields.get("suites", "").split()))


def debian_mirrors(
    suite: str = SUITE,
    *,
    etc_apt: Path = Path("/etc/apt"),
    environ: dict[str, str] | None = None,
) -> list[str]:
    """sources.list lines for `suite`, its updates and its security suite, on the host's mirrors.

    HUMANGOV_DEBIAN_MIRROR (and HUMANGOV_DEBIAN_SECURITY_MIRROR) override the host's; a host with no
    Debian source (Ubuntu, for instance) falls back to deb.debian.org.
    """
    env = os.environ if environ is None else environ
    archive = env.get("HUMANGOV_DEBIAN_MIRROR")
    security = env.get("HUMANGOV_DEBIAN_SECURITY_MIRROR")
    if not archive or not security:
        for source in read_apt_sources(etc_apt):
            # Debian's archive and security mirrors only (not Ubuntu's, not third-party repositories).
            if "debian" not in source.uri or "ubuntu" in source.uri:
                continue
            if source.uri.rstrip("/").endswith("-security") or any(
                s.endswith("-security") for s in source.suites
            ):
                security = security or source.uri
            else:
                archive = archive or source.uri
    archive = (archive or DEFAULT_MIRROR).rstrip("/")
    security = (security or DEFAULT_SECURITY_MIRROR).rstrip("/")
    return [
        f"deb {archive} {suite} main",
        f"deb {archive} {suite}-updates main",
        f"deb {security} {suite}-security main",
    ]


# --- building a base ----------------------------------------------------------------------------------


def mmdebstrap_command(recipe: Recipe, output: Path, mirrors: Sequence[str]) -> list[str]:
    """The whole mmdebstrap call for `recipe`, writing an uncompressed tarball to `output`."""
    command = [
        "mmdebstrap",
        "--variant=essential",
        # usr-is-merged instead of usrmerge (which drags in perl): the tree is merged-/usr as bookworm's.
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        f"--include={','.join(recipe.packages)}",
        # The host's snapshot mirrors may serve Release files past their Valid-Until.
        '--aptopt=Acquire::Check-Valid-Until "false"',
        '--aptopt=Acquire::Languages "none"',
    ]
    command += [f"--dpkgopt={option}" for option in DPKG_EXCLUDES]
    command += [
        # No apt lists or caches in the image.
        "--customize-hook=rm -rf $1/var/lib/apt/lists/* $1/var/cache/apt/* $1/var/log/apt "
        "$1/var/log/dpkg.log $1/var/cache/debconf/*-old",
        recipe.suite,
        str(output),
        *mirrors,
    ]
    return command


def connect(docker_client: Any | None = None) -> Any:
    """The given Docker client, or one from the environment that answers a ping (else ConfigError)."""
    if docker_client is not None:
        return docker_client
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:
        raise ConfigError(f"no Docker engine answers ({exc}); start Docker or set DOCKER_HOST") from exc
    return client


def image_exists(docker_client: Any, ref: str) -> bool:
    import docker.errors

    try:
        docker_client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def build_base(
    recipe: Recipe,
    *,
    docker_client: Any | None = None,
    progress: Progress = print,
    mirrors: Sequence[str] | None = None,
    workdir: Path | None = None,
) -> str:
    """mmdebstrap the recipe into a tarball and `docker import` it; returns the tag."""
    client = connect(docker_client)
    if shutil.which("mmdebstrap") is None:
        raise ConfigError(
            "building a local base image needs mmdebstrap: `apt-get install -y mmdebstrap` "
            "(or build with --base official where a registry is reachable)"
        )
    mirrors = list(mirrors) if mirrors is not None else debian_mirrors(recipe.suite)
    with tempfile.TemporaryDirectory(prefix=f"humangov-base-{recipe.name}-", dir=workdir) as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        command = mmdebstrap_command(recipe, tarball, mirrors)
        started = time.monotonic()
        progress(
            f"base {recipe.name}: mmdebstrap {recipe.suite} +{','.join(recipe.packages)} "
            f"from {mirrors[0].split()[1]}"
        )
        detail = detail_sink(progress)
        output = _run_streaming(command, lambda line: detail(f"base {recipe.name}: {line}"))
        if output.returncode != 0:
            raise ImageBuildError(recipe.tag, "\n".join(output.lines[-40:]))
        repository, tag = recipe.tag.split(":", 1)
        try:
            client.api.import_image(
                src=str(tarball), repository=repository, tag=tag, changes=list(IMPORT_CHANGES)
            )
        except Exception as exc:
            raise ImageBuildError(recipe.tag, f"docker import failed: {exc}") from exc
    progress(f"base {recipe.name}: imported as {recipe.tag} in {time.monotonic() - started:.1f} s")
    return recipe.tag


class BuildInputs:
    """The bases and wheelhouses some image builds need: each made once, all of them at the same time.

    They are independent of each other and mostly wait on the network (mmdebstrap on the Debian mirror,
    pip on PyPI), so each starts in the background the moment a build asks for it, and a build waits
    only for its own. Two images asking for one base (the app and the emulator) share one build.
    """

    def __init__(self, docker_client: Any | None = None, *, progress: Progress = print) -> None:
        self.client = connect(docker_client)
        self.progress = progress
        self._pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="humangov-inputs")
        self._futures: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    def base(self, recipe: Recipe) -> Future[str]:
        """The base's tag, once it is in the engine (built with mmdebstrap when missing)."""
        return self._once(f"base {recipe.tag}", lambda: self._base(recipe))

    def wheelhouse(self, requirements: Path) -> Future[Path]:
        """A wheelhouse of `requirements`, downloaded when the cache has none."""
        return self._once(
            f"wheelhouse {requirements.resolve()}",
            lambda: ensure_wheelhouse(requirements, progress=self.progress),
        )

    def _base(self, recipe: Recipe) -> str:
        if image_exists(self.client, recipe.tag):
            return recipe.tag
        return build_base(recipe, docker_client=self.client, progress=self.progress)

    def _once(self, key: str, make: Callable[[], Any]) -> Future[Any]:
        with self._lock:
            if key not in self._futures:
                self._futures[key] = self._pool.submit(make)
            return self._futures[key]

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> BuildInputs:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@contextmanager
def shared_inputs(
    inputs: BuildInputs | None, docker_client: Any | None, progress: Progress
) -> Iterator[BuildInputs]:
    """The caller's BuildInputs (shared with other builds), or one of its own for this call."""
    if inputs is not None:
        yield inputs
        return
    with BuildInputs(docker_client, progress=progress) as own:
        yield own


def ensure_bases(
    names: Iterable[str],
    *,
    docker_client: Any | None = None,
    progress: Progress = print,
) -> dict[str, str]:
    """Tags of the named bases, building the missing ones (at the same time)."""
    with BuildInputs(docker_client, progress=progress) as inputs:
        futures = {name: inputs.base(RECIPES[name]) for name in names}
        return {name: future.result() for name, future in futures.items()}


@dataclass
class _Output:
    returncode: int
    lines: list[str]


def _run_streaming(command: Sequence[str], on_line: Progress) -> _Output:
    # stdin closed: mmdebstrap reads a sources list from a non-terminal stdin when given no mirror.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines: list[str] = []
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.rstrip("\n")
        lines.append(line)
        on_line(line)
    return _Output(process.wait(), lines)


# --- the wheelhouse -----------------------------------------------------------------------------------


def wheelhouse_key(requirements: Path) -> str:
    spec = requirements.read_bytes() + json.dumps(WHEEL_TARGET).encode()
    return hashlib.sha256(spec).hexdigest()[:16]


def pip_download_command(requirements: Path, dest: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        *WHEEL_TARGET,
        "--requirement",
        str(requirements),
        "--dest",
        str(dest),
    ]


def ensure_wheelhouse(
    requirements: Path,
    *,
    progress: Progress = print,
    cache: Path | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Path:
    """A directory with a wheel of every requirement (and dependency), downloaded once per requirements."""
    root = cache or cache_dir()
    target = root / f"wheelhouse-{wheelhouse_key(requirements)}"
    if target.is_dir() and any(target.glob("*.whl")):
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="wheelhouse-", dir=root))
    try:
        started = time.monotonic()
        result = run(
            pip_download_command(requirements, staging),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ImageBuildError("wheelhouse", (result.stdout + result.stderr).strip()[-4000:])
        try:
            staging.rename(target)  # atomic: a concurrent or interrupted run never sees half a wheelhouse
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    took = time.monotonic() - started
    wheels = len(list(target.glob("*.whl")))
    progress(f"wheelhouse: {wheels} wheels for {_short(requirements)} in {took:.1f} s ({target})")
    return target


def _short(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
