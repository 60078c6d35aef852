"""HSTS and the Secure session cookie through nginx, driven by X-Forwarded-Proto as the load balancers set it.

The ALB's HTTPS listener and the local platform's HAProxy both set X-Forwarded-Proto: https (replacing a
client's own); over plain HTTP they say http. nginx sends Strict-Transport-Security only for https, so a
state still on HTTP never tells browsers to insist on an HTTPS it does not have.
"""

from __future__ import annotations

import requests
from container_kit import Task

HSTS = "Strict-Transport-Security"


def test_hsts_only_when_the_load_balancer_says_https(task: Task) -> None:
    for path, status in (("/", 200), ("/no-such-page", 404), ("/healthz", 200)):
        https = requests.get(f"{task.url}{path}", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert https.status_code == status, path
        assert https.headers[HSTS] == "max-age=31536000", path
        for proto in ({"X-Forwarded-Proto": "http"}, {}):
            plain = requests.get(f"{task.url}{path}", headers=proto, timeout=10)
            assert HSTS not in plain.headers, (path, proto)


def test_the_session_cookie_is_secure_over_https_only(task: Task) -> None:
    def session_cookie(proto: str) -> str:
        session = requests.Session()
        response = session.get(f"{task.url}/new_record", headers={"X-Forwarded-Proto": proto}, timeout=10)
        cookies = [r.headers.get("Set-Cookie", "") for r in (*response.history, response)]
        found = [c for c in cookies if c.startswith("session=")]
        assert found, cookies
        return found[0]

    assert "; Secure" in session_cookie("https")
    assert "; Secure" not in session_cookie("http")
