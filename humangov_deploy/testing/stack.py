"""A provisioned state, as the plugin's fixtures hand it to a test: its status, its platform, its users."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import requests

from humangov_deploy.http_session import session_for
from humangov_deploy.platforms.base import Platform, StackStatus, TaskInfo
from humangov_deploy.users import UserAdmin

ACTOR = "humangov-pytest"  # who the audit trail names for the users the fixtures make and remove


@dataclass
class HumangovStack:
    """One state deployed (or adopted with --reuse) for the session. `url`, `ca_bundle`, `tasks`, `table`
    and `bucket` come from its status; `session(role)` signs a new `requests.Session` in."""

    state: str
    platform: Platform
    platform_name: str
    run_id: str
    status: StackStatus
    reused: bool = False
    users: dict[str, str] = field(default_factory=dict)  # username -> password, removed at teardown
    token: str = ""  # the API token of the fixtures' own editor (`http`)
    actor: str = ACTOR
    _http: requests.Session | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self.status.url, f"{self.state} has no URL"
        return self.status.url.rstrip("/")

    @property
    def ca_bundle(self) -> str | None:
        return self.status.ca_bundle

    @property
    def tasks(self) -> list[TaskInfo]:
        return self.status.tasks

    @property
    def table(self) -> str | None:
        return self.status.table

    @property
    def bucket(self) -> str | None:
        return self.status.bucket

    @property
    def auth(self) -> dict[str, str]:
        """Headers of an API call as the fixtures' editor (a Bearer token: no guard header needed)."""
        return {"Authorization": f"Bearer {self.token}"}

    def admin(self) -> UserAdmin:
        return UserAdmin.for_platform(self.platform, self.state, actor=self.actor)

    def add_user(self, role: str) -> tuple[str, str]:
        """A user of the fixtures' own (removed by `remove_users`), with a password of its own."""
        username, password = f"pytest-{role}-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
        self.users[username] = password
        self.admin().add(username, role, password=password)
        return username, password

    def session(self, role: str = "editor") -> requests.Session:
        """A new session that trusts the state's certificate, signed in as a new user with `role` (its
        API token on every request); the user is removed when the stack's fixture ends."""
        username, _ = self.add_user(role)
        http = session_for(self.status)
        http.headers["Authorization"] = f"Bearer {self.admin().create_token(username)[1]}"
        return http

    def remove_users(self) -> None:
        admin = self.admin()
        present = {u.username for u in admin.list()}
        for username in list(self.users):
            if username in present:
                admin.remove(username)
            del self.users[username]

    @property
    def http(self) -> requests.Session:
        """A session that checks the state's certificate, signed in as the fixtures' editor."""
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

    def stop_task(self, task_id: str) -> None:
        """Stop one task as ECS's StopTask does; the platform's scheduler must bring the count back."""
        self.platform.stop_task(self.state, task_id)
