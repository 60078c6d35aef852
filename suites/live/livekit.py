"""What the live tests share: the provisioned stack, its short-lived users, and stopping a task."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import requests

from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import Platform, StackStatus
from humangov_deploy.users import UserAdmin

ACTOR = "live-suite"  # who the audit trail names for the users the suite makes and removes


@dataclass
class LiveStack:
    state: str
    platform: Platform
    platform_name: str
    run_id: str
    status: StackStatus
    users: dict[str, str] = field(default_factory=dict)  # username -> password, removed at the end
    token: str = ""  # the suite's editor's API token
    _http: requests.Session | None = field(default=None, repr=False)

    @property
    def auth(self) -> dict[str, str]:
        """Headers of an API call as the suite's editor (a Bearer token: no guard header needed)."""
        return {"Authorization": f"Bearer {self.token}"}

    def admin(self) -> UserAdmin:
        return UserAdmin.for_platform(self.platform, self.state, actor=ACTOR)

    def add_user(self, role: str) -> tuple[str, str]:
        """A user of the suite's own (removed by `remove_users`), with a password of its own."""
        username, password = f"live-{role}-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
        self.users[username] = password
        self.admin().add(username, role, password=password)
        return username, password

    def remove_users(self) -> None:
        admin = self.admin()
        for username in list(self.users):
            if any(u.username == username for u in admin.list()):
                admin.remove(username)
            del self.users[username]

    @property
    def url(self) -> str:
        assert self.status.url, f"{self.state} has no URL"
        return self.status.url.rstrip("/")

    @property
    def http(self) -> requests.Session:
        """A session that checks the state's certificate (against the local platform's CA, on local),
        signed in as the suite's editor (its Bearer token on every request)."""
        if self._http is None:
            self._http = session_for(self.status)
            self._http.headers.update(self.auth)
        return self._http

    def anonymous(self) -> requests.Session:
        """A new session that checks the certificate and is signed in as nobody."""
        return session_for(self.status)

    def refresh(self) -> StackStatus:
        self.status = self.platform.status(self.state)
        return self.status


def stop_task(stack: LiveStack, task_id: str) -> None:
    """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back."""
    stack.platform.stop_task(stack.state, task_id)
