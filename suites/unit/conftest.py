"""Unit suite: every test runs against moto or fakes, with fake credentials and no network."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_speed import moto_speedups
from strict_aws import strict_aws  # noqa: F401  (the strict layer's fixture, for every unit test)


def pytest_collection_finish(session: pytest.Session) -> None:
    # The unit tests allocate objects by the million (botocore's models and requests, moto's responses),
    # and CPython's collector visits every tracked object on each full collection. What exists once the
    # tests are collected (modules, the loaded models) lives to the end: gc.freeze() keeps it out of
    # every later collection; a larger first threshold (default 700) collects young objects less often.
    # Cycles are still collected. 8 to 9 % less CPU for the suite, measured alternately (docs/tests.md).
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The tests marked slow first, each group in its own order: xdist's worksteal hands every worker a
    # contiguous share and lets an idle one take queued tests, so short tests at the end even out the
    # finish; a test of seconds near the end of a share would leave the other worker idle meanwhile.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _moto_speedups() -> Iterator[None]:
    # Session scope: on before any module- or session-scoped moto stack is built (moto_speed.py says why).
    with moto_speedups():
        yield


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Unit tests must never reach a real account, whatever the developer's shell exports.
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def _unit_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("humangov-cache")


@pytest.fixture(autouse=True)
def _private_cache_dir(monkeypatch: pytest.MonkeyPatch, _unit_cache_dir: Path) -> None:
    # What the library keeps under the cache directory (the local CA, command logs) goes to the run's own
    # directory, never the developer's ~/.cache/humangov; a test that needs an empty one sets its own.
    monkeypatch.setenv("HUMANGOV_CACHE_DIR", str(_unit_cache_dir))
