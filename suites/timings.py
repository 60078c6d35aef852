"""Where a test run spends its time: each test's phases and each fixture's setup, in wall and CPU seconds.

A pytest plugin for scripts/bench_unit.py, loaded by the root conftest and inert unless HUMANGOV_UNIT_TIMINGS
names a directory: then each process of the run (every xdist worker, or the one process without xdist)
writes `<worker>.json` there at the end. CPU is reported next to wall time because the build machine's
cores are shared: wall time grows with the load, the CPU a test needs does not.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ENV = "HUMANGOV_UNIT_TIMINGS"

_records: list[dict[str, Any]] = []


def _clock() -> tuple[float, float, float]:
    # process_time counts every thread of this process (moto's server thread, the app under test);
    # RUSAGE_CHILDREN the subprocesses it waited for (checkov, pytest inside a test, a fake terraform).
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time(), children.ru_utime + children.ru_stime


@contextmanager
def _timed(kind: str, name: str, **extra: Any) -> Iterator[None]:
    if not os.environ.get(ENV):
        yield
        return
    wall, cpu, children = _clock()
    try:
        yield
    finally:
        end_wall, end_cpu, end_children = _clock()
        _records.append(
            {
                "kind": kind,
                "name": name,
                "wall": end_wall - wall,
                "cpu": end_cpu - cpu,
                "children_cpu": end_children - children,
                **extra,
            }
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _timed("setup", item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _timed("call", item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    with _timed("teardown", item.nodeid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any]) -> Generator[None, Any, Any]:
    # Dependencies are set up before this hook runs, so each fixture's figure is its own work only.
    where = fixturedef.baseid or "(plugin)"
    with _timed("fixture", f"{fixturedef.argname} [{fixturedef.scope}] {where}"):
        return (yield)


def _process_record(kind: str) -> None:
    # The whole process so far (imports, collection, xdist's messages): what no test or fixture accounts for.
    if os.environ.get(ENV):
        _, cpu, children = _clock()
        _records.append({"kind": kind, "name": kind, "wall": 0.0, "cpu": cpu, "children_cpu": children})


def pytest_collection_finish(session: pytest.Session) -> None:
    _process_record("startup")


def pytest_sessionfinish(session: pytest.Session) -> None:
    directory = os.environ.get(ENV)
    if not directory or not _records:
        return
    _process_record("process")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    Path(directory, f"{worker}.json").write_text(json.dumps(_records))
