"""Shared by the rollout's unit tests: a fake platform that records every call, and an in-memory store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_clock import FakeClock

from humangov_deploy.errors import DeploymentFailed
from humangov_deploy.platforms.base import Progress, StackStatus, TaskInfo, Version, print_progress
from humangov_deploy.rollout.record import Records
from humangov_deploy.rollout.runner import Runner

OLD = Version(app="registry/humangov-app:v1", nginx="registry/humangov-nginx:v1", ref="td:1")
NEW = Version(app="registry/humangov-app:v2", nginx="registry/humangov-nginx:v2")


class MemoryStore:
    """A RecordStore in a dict; `puts` counts the saves."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.puts = 0

    def put(self, run_id: str, text: str) -> None:
        self.texts[run_id] = text
        self.puts += 1

    def get(self, run_id: str) -> str | None:
        return self.texts.get(run_id)

    def all(self) -> dict[str, str]:
        return dict(self.texts)


@dataclass
class FakePlatform:
    """States and their versions in a dict; `fail` makes a state's deploy raise, `hooks` run in a deploy."""

    versions: dict[str, Version | None]
    fail: set[str] = field(default_factory=set)
    fail_rollback: set[str] = field(default_factory=set)
    hooks: dict[str, Callable[[], None]] = field(default_factory=dict)
    name: str = "fake"
    store: MemoryStore = field(default_factory=MemoryStore)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def _call(self, what: str, state: str) -> None:
        with self._lock:
            self.calls.append((what, state))

    def calls_of(self, what: str) -> list[str]:
        return [state for kind, state in self.calls if kind == what]

    def deployed_states(self) -> list[str]:
        return sorted(s for s, v in self.versions.items() if v is not None)

    def current_version(self, state: str) -> Version | None:
        self._call("current", state)
        return self.versions.get(state)

    def prepare_version(self, progress: Progress = print_progress) -> Version:
        self._call("prepare", "")
        return NEW

    def deploy_version(
        self, state: str, version: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        self._call("deploy", state)
        if state in self.hooks:
            self.hooks[state]()
        if state in self.fail:
            # A failed deploy has moved the state part of the way, as a half-rolled service would.
            self.versions[state] = version
            raise DeploymentFailed(f"{state}: the app keeps exiting")
        self.versions[state] = version
        return self.status(state)

    def rollback(
        self, state: str, to: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        self._call("rollback", state)
        if state in self.fail_rollback:
            raise DeploymentFailed(f"{state}: the earlier revision does not start either")
        self.versions[state] = to
        return self.status(state)

    def status(self, state: str) -> StackStatus:
        tasks = [TaskInfo("t1", "zone-a", "RUNNING", True)] if self.versions.get(state) else []
        return StackStatus(state=state, platform=self.name, url=f"http://{state}", tasks=tasks)

    def rollout_records(self) -> MemoryStore:
        return self.store

    # The rest of the Platform interface: never called by a rollout.
    def destroy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> None:
        raise AssertionError("a rollout never destroys")

    def stop_task(self, state: str, task_id: str) -> None:
        raise AssertionError("a rollout never stops tasks")

    def data_clients(self, state: str) -> Any:
        raise AssertionError("the deploy gate needs no data clients")


def deploy_gate_runner(platform: FakePlatform, **options: Any) -> tuple[Runner, list[str]]:
    """A Runner on the fake, with the `deploy` gate, one thread unless told, and its lines collected."""
    from humangov_deploy.rollout.runner import deploy_gate

    lines: list[str] = []
    settings: dict[str, Any] = {
        "max_parallel": 1,
        "gate": deploy_gate,
        "say": lines.append,
        "clock": FakeClock(),
    }
    settings.update(options)
    return Runner(platform, Records(platform.store), **settings), lines
