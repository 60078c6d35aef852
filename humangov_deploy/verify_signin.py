"""The sign-in half of `humangov verify`: a short-lived user of its own, made through the library.

`SignInCheck` makes an editor (who signs in through the /login form: the `http` session then carries
its cookie for the record checks) and a viewer with an API token, checks that an anonymous visitor is
refused (a page: 302 to /login; the API: 401), that the viewer cannot write (403), and afterwards that
the editor's writes are in the audit trail; `remove()` deletes both users whatever happened.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import requests

from humangov_deploy.platforms.base import Platform
from humangov_deploy.users import UserAdmin

HTTP_TIMEOUT = 15.0
ACTOR = "verify"  # who the audit trail names for the users verify makes and removes
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class SignInCheck:
    def __init__(
        self,
        platform: Platform,
        state: str,
        http: requests.Session,
        base: str,
        fresh: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self.admin = UserAdmin.for_platform(platform, state, actor=ACTOR)
        self.http, self.base = http, base
        self.fresh = fresh  # a client without the editor's cookie: the anonymous visitor, the viewer
        marker = secrets.token_hex(4)
        self.editor, self.viewer = f"verify-{marker}", f"verify-{marker}-viewer"
        self.password = secrets.token_urlsafe(18)
        self.made: list[str] = []
        self.viewer_token = ""

    def anonymous(self) -> tuple[bool, str]:
        """Before signing in: a page redirects to /login, the API answers 401 with a Bearer challenge."""
        visitor = self.fresh()
        page = visitor.get(f"{self.base}/records", timeout=HTTP_TIMEOUT, allow_redirects=False)
        api = visitor.get(f"{self.base}/api/employees", timeout=HTTP_TIMEOUT)
        location = page.headers.get("Location", "")
        ok = (
            page.status_code == 302
            and "/login" in location
            and api.status_code == 401
            and api.headers.get("WWW-Authenticate", "").startswith("Bearer")
        )
        return (
            ok,
            f"GET /records -> {page.status_code} {location or ''}, GET /api/employees -> {api.status_code}",
        )

    def sign_in(self) -> tuple[bool, str]:
        """Make the two users, then sign the editor in through the form (the session keeps the cookie)."""
        self.admin.add(self.editor, "editor", password=self.password)
        self.made.append(self.editor)
        self.admin.add(self.viewer, "viewer", password=secrets.token_urlsafe(18))
        self.made.append(self.viewer)
        _, self.viewer_token = self.admin.create_token(self.viewer)
        form = self.http.get(f"{self.base}/login", timeout=HTTP_TIMEOUT)
        match = _CSRF.search(form.text)
        if form.status_code != 200 or not match:
            return False, f"GET /login -> {form.status_code}, no sign-in form"
        response = self.http.post(
            f"{self.base}/login",
            data={
                "username": self.editor,
                "password": self.password,
                "csrf_token": match.group(1),
                "next": "/",
            },
            # Over HTTPS the CSRF check also wants this site's Referer, as a browser sends it.
            headers={"Referer": f"{self.base}/login"},
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        )
        ok = response.status_code == 302 and "/login" not in response.headers.get("Location", "/login")
        return ok, f"POST /login as {self.editor} -> {response.status_code}"

    def viewer_cannot_write(self) -> tuple[bool, str]:
        response = self.fresh().post(
            f"{self.base}/api/employees",
            data={"first_name": "Viewer", "last_name": "Write", "role": "None", "salary": "1"},
            headers={"Authorization": f"Bearer {self.viewer_token}"},
            timeout=HTTP_TIMEOUT,
        )
        return response.status_code == 403, f"POST /api/employees as {self.viewer} -> {response.status_code}"

    def audited(self, record_id: str) -> tuple[bool, str]:
        """The editor's create and delete of `record_id`, and their sign-in, are in the audit trail."""
        entries = self.admin.audit_page(username=self.editor, limit=100).items
        seen = {(e.action, e.target) for e in entries}
        wanted = {("signin.success", self.editor), ("record.create", record_id), ("record.delete", record_id)}
        missing = sorted(f"{a} {t}" for a, t in wanted - seen)
        return not missing, "sign-in, create and delete audited" if not missing else f"missing: {missing}"

    def remove(self) -> tuple[bool, str]:
        removed = []
        for name in list(self.made):
            self.admin.remove(name)
            self.made.remove(name)
            removed.append(name)
        return True, f"removed {', '.join(removed) or 'nothing'}"
