"""What the live tests share: the provisioned stack, and stopping a task on either platform."""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import Platform, StackStatus


@dataclass
class LiveStack:
    state: str
    platform: Platform
    platform_name: str
    run_id: str
    status: StackStatus
    _http: requests.Session | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self.status.url, f"{self.state} has no URL"
        return self.status.url.rstrip("/")

    @property
    def http(self) -> requests.Session:
        """A session that checks the state's certificate (against the local platform's CA, on local)."""
        if self._http is None:
            self._http = session_for(self.status)
        return self._http

    def refresh(self) -> StackStatus:
        self.status = self.platform.status(self.state)
        return self.status


def stop_task(stack: LiveStack, task_id: str) -> None:
    """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back."""
    stack.platform.stop_task(stack.state, task_id)
