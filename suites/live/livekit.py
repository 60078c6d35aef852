"""What the live tests share: the provisioned stack, and stopping a task on either platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humangov_deploy.platforms.base import Platform, StackStatus

ECS_CLUSTER = "humangov-cluster"


@dataclass
class LiveStack:
    state: str
    platform: Platform
    platform_name: str
    run_id: str
    status: StackStatus

    @property
    def url(self) -> str:
        assert self.status.url, f"{self.state} has no URL"
        return self.status.url.rstrip("/")

    def refresh(self) -> StackStatus:
        self.status = self.platform.status(self.state)
        return self.status


def stop_task(stack: LiveStack, task_id: str) -> None:
    """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back.

    The local platform has `stop_task`; on aws the ECS API is called directly when the platform has none.
    """
    stop = getattr(stack.platform, "stop_task", None)
    if callable(stop):
        stop(stack.state, task_id)
        return
    clients: Any = getattr(stack.platform, "clients", None)
    assert clients is not None, f"the {stack.platform_name} platform can neither stop a task nor reach ECS"
    clients.ecs.stop_task(cluster=ECS_CLUSTER, task=task_id, reason="humangov live failover test")
