"""Container suite: the images built once per session (local bases), tasks started as Fargate does.

Where no Docker daemon answers, it skips with the reason, or fails under CI=true, HUMANGOV_REQUIRE_INFRA=1
or --no-skip-infra (suites/infra.py): CI never passes by skipping. Every container carries the run's
label and prefix and is removed afterwards, also when a test or the start itself fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NoReturn

import pytest
from container_kit import LABEL, RUN_ID, TASK_MAX_UPLOAD_MB, Task, build_aws_sidecar, start_task

from humangov_deploy.build import baseimage, images

# Filled by the fixtures, printed in the terminal summary.
REPORT: dict[str, str] = {}


def _docker() -> Any:
    import docker

    return docker.from_env()


def connect_docker(unavailable: Callable[[str], NoReturn], connect: Callable[[], Any] = _docker) -> Any:
    """A Docker client that answered a ping, or `unavailable` with the reason."""
    try:
        client = connect()
        client.ping()
    except Exception as exc:
        unavailable(f"no Docker daemon answers ({exc}): the container suite needs one")
    return client


@pytest.fixture(scope="session")
def docker_client(infra_unavailable: Callable[[str], NoReturn]) -> Any:
    return connect_docker(infra_unavailable)


def _progress(line: str) -> None:
    # Build output is long; keep the step headers and results visible with -s.
    if " Step " in f" {line}" or "built" in line or "cached" in line or "up to date" in line:
        print(f"  .. {line}", flush=True)


@pytest.fixture(scope="session")
def _aws_image_future(docker_client: Any) -> Iterator[Future[str]]:
    # The bases first (both, in parallel), then the test-only AWS image builds in the background while
    # the app and nginx images build: on a cold machine that overlaps the two slowest builds. Where the
    # official bases were pulled beforehand (CI with a registry), the suite builds on them instead.
    if images.available_base(docker_client) == "local":
        baseimage.ensure_bases(["app", "nginx"], docker_client=docker_client, progress=_progress)
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(build_aws_sidecar, docker_client, _progress)


@pytest.fixture(scope="session")
def image_set(docker_client: Any, _aws_image_future: Future[str]) -> images.ImageSet:
    started = time.monotonic()
    base = images.available_base(docker_client)
    built = images.ensure_images(base=base, docker_client=docker_client, progress=_progress)
    REPORT["bases"] = base
    REPORT["images ready in"] = f"{time.monotonic() - started:.1f} s"
    for name, ref in built.as_dict().items():
        REPORT[f"{name} image"] = f"{ref}  {images.image_size(ref, docker_client=docker_client) / 1e6:.1f} MB"
    return built


@pytest.fixture(scope="session")
def aws_image(_aws_image_future: Future[str]) -> str:
    return _aws_image_future.result()


StartTask = Callable[..., Task]


@pytest.fixture(scope="session")
def _tasks(docker_client: Any, image_set: images.ImageSet, aws_image: str) -> Iterator[StartTask]:
    started: list[Task] = []

    def start(name: str, **kwargs: Any) -> Task:
        task = Task(name=f"{name}-{len(started)}", docker=docker_client)
        started.append(task)  # registered before the first container exists
        return start_task(docker_client, image_set, aws_image, task, **kwargs)

    try:
        yield start
    finally:
        for task in started:
            task.remove()
        # Anything a crashed start left behind under this run's label.
        for container in docker_client.containers.list(all=True, filters={"label": f"{LABEL}={RUN_ID}"}):
            container.remove(force=True)


@pytest.fixture(scope="session")
def task(_tasks: StartTask) -> Task:
    started = time.monotonic()
    running = _tasks("main", max_upload_mb=TASK_MAX_UPLOAD_MB)
    REPORT["task healthy in"] = f"{time.monotonic() - started:.1f} s"
    return running


@pytest.fixture
def fresh_task(_tasks: StartTask, request: pytest.FixtureRequest) -> Iterator[Task]:
    """A task of the test's own, with the default limit (the app's and nginx's default of 10 MB)."""
    name = request.node.name.replace("_", "-")[:30].strip("-")
    task = _tasks(name)
    try:
        yield task
    finally:
        task.remove()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("humangov images")
        for key, value in REPORT.items():
            terminalreporter.write_line(f"{key}: {value}")
