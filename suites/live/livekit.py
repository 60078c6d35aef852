"""What the live tests share: the provisioned stack, and stopping a task on either platform."""

from __future__ import annotations

from dataclasses import dataclass

from humangov_deploy.platforms.base import Platform, StackStatus


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
    """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back."""
    stack.platform.stop_task(stack.state, task_id)
