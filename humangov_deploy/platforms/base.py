"""The one small interface both platforms fulfil; the CLI, `verify` and the live suites use only this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from humangov_deploy.clients import AwsClients

Progress = Callable[[str], None]


def print_progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


@dataclass
class TaskInfo:
    id: str
    az: str
    status: str  # RUNNING, PENDING, STOPPED, ... (ECS's lastStatus vocabulary on both platforms)
    healthy: bool  # healthy behind the load balancer


@dataclass
class StackStatus:
    """What exists of one state's stack. `status --json` prints `to_json()` on both platforms."""

    state: str
    platform: str
    url: str | None = None
    tasks: list[TaskInfo] = field(default_factory=list)
    table: str | None = None
    bucket: str | None = None
    region: str | None = None
    # Platform-specific extras (ARNs, container ids, ...), shown by `status` but not part of the contract.
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return bool(self.url or self.tasks or self.table or self.bucket or self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "platform": self.platform,
            "url": self.url,
            "tasks": [asdict(t) for t in self.tasks],
            "table": self.table,
            "bucket": self.bucket,
        }


class Platform(Protocol):
    name: str

    def deploy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> StackStatus:
        """Bring the state up (idempotent) and return only once every task is healthy behind the LB."""
        ...

    def status(self, state: str) -> StackStatus: ...

    def destroy(self, state: str, *, timeout: float, progress: Progress = print_progress) -> None:
        """Remove everything of the state, in dependency order; idempotent; safe after a half deploy."""
        ...

    def stop_task(self, state: str, task_id: str) -> None:
        """Stop one task as a failure would; the platform must bring the task count back."""
        ...

    def data_clients(self, state: str) -> AwsClients:
        """Clients that reach the state's table and bucket (real AWS, or the embedded emulator)."""
        ...
