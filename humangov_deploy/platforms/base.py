"""The one small interface both platforms fulfil; the CLI, `verify` and the live suites use only this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from humangov_deploy.clients import AwsClients

__all__ = [
    "Leftover",
    "ListenerInfo",
    "LogLine",
    "Platform",
    "RecordStore",
    "StackStatus",
    "SweepReport",
    "TaskInfo",
    "Version",
    "print_progress",
]

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
class ListenerInfo:
    """One listener of the state's load balancer: what it answers on, and what it does with a request."""

    protocol: str  # HTTP or HTTPS
    port: int  # the port clients connect to (the host port on local)
    action: str  # "forward" (to the tasks) or "redirect" (301 to the HTTPS listener)
    tls_policy: str | None = None  # HTTPS: the TLS policy (aws) or "TLSv1.2+" (local)
    certificate: str | None = None  # HTTPS: the certificate's ARN (aws) or its SHA-256 (local)


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
    # The load balancer's listeners; ca_bundle: the PEM file of the CA that issued the HTTPS certificate,
    # when clients cannot know it (the local platform's own CA), for `requests`' verify=.
    listeners: list[ListenerInfo] = field(default_factory=list)
    ca_bundle: str | None = None
    # Where to connect for `url` when its name is the state's own domain (`deploy --domain`), which DNS may
    # not point at the load balancer (yet): the ALB's DNS name, or 127.0.0.1 on local (http_session.py).
    address: str | None = None
    # One line each: what the user should know about the state (plain HTTP, ...).
    warnings: list[str] = field(default_factory=list)

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
            "ca_bundle": self.ca_bundle,
            # Only with a domain (`deploy --domain`): where its name is served.
            **({"address": self.address} if self.address else {}),
            "listeners": [asdict(listener) for listener in self.listeners],
            "warnings": self.warnings,
        }


@dataclass(frozen=True, order=True)
class LogLine:
    """One line a task logged (`humangov logs`), on either platform."""

    time: datetime  # UTC
    task: str
    container: str  # app or nginx
    message: str

    def __str__(self) -> str:
        stamp = self.time.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"{stamp} {self.task} {self.container:<5} {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": self.time.astimezone(UTC).isoformat()}


@dataclass
class Leftover:
    """One object `sweep` found: an AWS resource by its tags, or a Docker object by its labels."""

    state: str
    kind: str
    id: str
    created: datetime | None
    run_id: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created"] = self.created.isoformat() if self.created else None
        return data


@dataclass
class SweepReport:
    """What `sweep` found, removed (or, with dry_run, would remove) and kept, on either platform."""

    older_than: float
    dry_run: bool
    noun: str = "tagged resource(s)"  # what `found` holds, for the report's first line
    found: list[Leftover] = field(default_factory=list)
    removed_states: list[str] = field(default_factory=list)
    removed_shared: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "older_than_seconds": self.older_than,
            "dry_run": self.dry_run,
            "found": [f.to_json() for f in self.found],
            "removed_states": self.removed_states,
            "removed_shared": self.removed_shared,
            "skipped": self.skipped,
        }

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        width = max((len(f.kind) for f in self.found), default=0)
        out = [f"found {len(self.found)} {self.noun}"]
        out += [f"  {f.state:<15} {f.kind:<{width}} {f.id}" for f in self.found]
        out += [f"{verb} state {s}" for s in self.removed_states]
        out += [f"{verb} shared {s}" for s in self.removed_shared]
        out += [f"kept {k}: {why}" for k, why in sorted(self.skipped.items())]
        return out


@dataclass(frozen=True)
class Version:
    """What a state runs: its two images, and where the platform keeps that pairing (for a rollback).

    `ref` is the platform's own handle on the version: the task definition revision's ARN on aws (a
    rollback returns the service to that very revision), empty on local (the images are the version).
    """

    app: str
    nginx: str
    ref: str = ""

    @property
    def tag(self) -> str:
        """The app image's tag, or the first 12 hex digits of its digest: short enough for a table."""
        image = self.app.rsplit("/", 1)[-1]
        if "@" in image:
            return image.split("@", 1)[1].split(":", 1)[-1][:12]
        return image.rsplit(":", 1)[-1] if ":" in image else "latest"

    def same_images(self, other: Version | None) -> bool:
        return other is not None and (self.app, self.nginx) == (other.app, other.nginx)

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Version:
        return cls(app=str(data["app"]), nginx=str(data["nginx"]), ref=str(data.get("ref") or ""))


class RecordStore(Protocol):
    """Where a platform keeps rollout records, readable by every runner: opaque text by run id.

    The rollout package owns the text's meaning; a store only keeps it (SSM on aws, Docker labels on
    local), so a rollout started on one machine can be resumed from another.
    """

    def put(self, run_id: str, text: str) -> None: ...

    def get(self, run_id: str) -> str | None: ...

    def all(self) -> dict[str, str]:
        """Every record, by run id."""
        ...


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

    # --- what `rollout` and `status --all` need (humangov_deploy.rollout knows no platform) ----------

    def deployed_states(self) -> list[str]:
        """Every state that has a stack on this platform, sorted."""
        ...

    def current_version(self, state: str) -> Version | None:
        """The version the state's service runs now; None when the state is not deployed."""
        ...

    def prepare_version(self, progress: Progress = print_progress) -> Version:
        """The version to roll out, made once for all states: images built (and pushed), or the given ones."""
        ...

    def deploy_version(
        self, state: str, version: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        """`deploy` with these images instead of the platform's own; safe to call from several threads."""
        ...

    def rollback(
        self, state: str, to: Version, *, timeout: float, progress: Progress = print_progress
    ) -> StackStatus:
        """Return the state to a version it ran before (its task definition revision on aws) and wait."""
        ...

    def rollout_records(self) -> RecordStore:
        """Where this platform keeps rollout records (every runner can read them)."""
        ...
