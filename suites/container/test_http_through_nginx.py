"""The whole record flow, the upload limits and the security headers, through nginx as the ALB sees it."""

from __future__ import annotations

import re

import requests
from container_kit import EDITOR, EDITOR_PASSWORD, MOTO_PORT, PDF, TASK_MAX_UPLOAD_MB, Task

from humangov_deploy import users

MB = 1024 * 1024


def _csrf(session: requests.Session, url: str) -> str:
    return _hidden(session, url)["csrf_token"]


def _hidden(session: requests.Session, url: str) -> dict[str, str]:
    """What a browser sends back of the page's form: its CSRF token and, on an edit or delete form, the
    record's version (a write is conditional on it)."""
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'type="hidden" name="(csrf_token|version)" value="([^"]*)"', page.text))
    assert "csrf_token" in fields, page.text
    return fields


def _signed_in(task: Task) -> requests.Session:
    """A browser session of the suite's editor, signed in through nginx with the /login form."""
    browser = requests.Session()
    token = _csrf(browser, f"{task.url}/login")
    response = browser.post(
        f"{task.url}/login",
        data={"username": EDITOR, "password": EDITOR_PASSWORD, "csrf_token": token, "next": "/records"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/records", response.text
    return browser


def test_sign_in_and_out_through_nginx(task: Task) -> None:
    visitor = requests.Session()
    page = visitor.get(f"{task.url}/records", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/records"
    api = visitor.get(f"{task.url}/api/employees", timeout=10)
    assert api.status_code == 401 and api.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.get(f"{task.url}/api/employees", headers=task.auth, timeout=10).status_code == 200

    browser = _signed_in(task)
    cookie = next(c for c in browser.cookies if c.name == "session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure  # plain HTTP here
    assert browser.get(f"{task.url}/records", timeout=10).status_code == 200
    token = _csrf(browser, f"{task.url}/records")
    out = browser.post(f"{task.url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert browser.get(f"{task.url}/records", allow_redirects=False, timeout=10).status_code == 302


def test_nginx_gives_each_request_an_id_that_the_app_returns_and_audits(task: Task) -> None:
    response = requests.get(f"{task.url}/api/employees", headers=task.auth, timeout=10)
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    admin = users.UserAdmin(task.clients(), "california")
    entries = admin.audit_page(username=EDITOR, limit=100).items
    assert any(e.action == "token.use" and e.request_id == request_id for e in entries)
    assert f"rid={request_id}" in task.logs("nginx")


def _items(task: Task) -> list[dict[str, object]]:
    """The records in the table (users and tokens share it)."""
    items = task.clients().dynamodb.scan(TableName=task.data.table)["Items"]  # type: ignore[union-attr]
    return [item for item in items if "last_name" in item]


def _objects(task: Task) -> list[str]:
    listed = task.clients().s3.list_objects_v2(Bucket=task.data.bucket)  # type: ignore[union-attr]
    return [o["Key"] for o in listed.get("Contents", [])]


def test_record_flow_with_a_pdf(task: Task) -> None:
    browser = _signed_in(task)
    token = _csrf(browser, f"{task.url}/new_record")
    created = browser.post(
        f"{task.url}/new_record",
        data={"csrf_token": token, "first_name": "Ada", "last_name": "Lovelace", "role": "Teacher",
              "salary": "65000"},
        files={"pdf": ("contract.pdf", PDF, "application/pdf")},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert created.status_code == 302, created.text
    assert created.headers["Location"].endswith("/records")

    listing = browser.get(f"{task.url}/records", timeout=10)
    assert listing.status_code == 200 and "Lovelace" in listing.text
    record_id = re.search(r'/edit_record/([^"]+)"', listing.text).group(1)  # type: ignore[union-attr]
    found = browser.get(f"{task.url}/search", params={"name": "Lovelace"}, timeout=10)
    assert found.status_code == 200 and "Lovelace" in found.text
    missing = browser.get(f"{task.url}/search", params={"name": "Hopper"}, timeout=10)
    assert "Lovelace" not in missing.text

    # The record and its PDF landed in the state's table and bucket.
    assert any(item["id"]["S"] == record_id for item in _items(task))
    assert len(_objects(task)) >= 1

    # View the PDF: the app redirects to a presigned URL on its AWS endpoint (moto, in the task).
    view = browser.get(f"{task.url}/records/pdf/{record_id}", allow_redirects=False, timeout=10)
    assert view.status_code == 302
    location = view.headers["Location"].replace(f"127.0.0.1:{MOTO_PORT}", task.ports[MOTO_PORT])
    assert requests.get(location, timeout=10).content == PDF

    hidden = _hidden(browser, f"{task.url}/edit_record/{record_id}")
    assert hidden["version"] == "1"
    edited = browser.post(
        f"{task.url}/edit_record/{record_id}",
        data={**hidden, "first_name": "Ada", "last_name": "King", "role": "Principal",
              "salary": "70000"},
        allow_redirects=False, timeout=10,
    )  # fmt: skip
    assert edited.status_code == 302, edited.text
    assert "King" in browser.get(f"{task.url}/search", params={"name": "King"}, timeout=10).text

    hidden = _hidden(browser, f"{task.url}/records")  # the one record's Delete button: version 2 now
    assert hidden["version"] == "2"
    deleted = browser.post(
        f"{task.url}/records/delete", data={**hidden, "id": record_id}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    assert deleted.status_code == 302
    assert f"/edit_record/{record_id}" not in browser.get(f"{task.url}/records", timeout=10).text
    assert not any(item["id"]["S"] == record_id for item in _items(task))


def test_api_create_through_nginx(task: Task) -> None:
    response = requests.post(
        f"{task.url}/api/employees",
        headers=task.auth,
        data={"first_name": "Grace", "last_name": "Hopper", "role": "Counselor", "salary": "72000"},
        files={"pdf": ("cv.pdf", PDF, "application/pdf")},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    assert response.json()["last_name"] == "Hopper"


def _upload(task: Task, size: int) -> requests.Response:
    body = PDF + b"0" * (size - len(PDF))
    return requests.post(
        f"{task.url}/api/employees",
        headers=task.auth,
        data={"first_name": "Big", "last_name": "File", "role": "Clerk", "salary": "1"},
        files={"pdf": ("big.pdf", body, "application/pdf")},
        timeout=30,
    )


def test_upload_limits_of_nginx_and_of_the_app(task: Task) -> None:
    limit = TASK_MAX_UPLOAD_MB * MB
    # At the limit: accepted.
    assert _upload(task, limit).status_code == 201
    # Just over the PDF limit, inside the form room: nginx passes it, the app refuses with its message.
    by_app = _upload(task, limit + 1)
    assert by_app.status_code == 413
    assert "application/json" in by_app.headers["Content-Type"]
    assert f"{TASK_MAX_UPLOAD_MB} MB" in by_app.text
    # Far over: nginx refuses before the app sees a byte (its own page, no version in it).
    by_nginx = _upload(task, limit + 200 * 1024)
    assert by_nginx.status_code == 413
    assert "text/html" in by_nginx.headers["Content-Type"] and "nginx/" not in by_nginx.text
    assert by_nginx.headers["Server"] == "nginx"


def test_security_headers_on_pages_errors_and_health(task: Task) -> None:
    browser = _signed_in(task)
    for path, status in (("/", 200), ("/records", 200), ("/no-such-page", 404), ("/healthz", 200)):
        response = browser.get(f"{task.url}{path}", timeout=10)
        assert response.status_code == status, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["Server"] == "nginx"  # server_tokens off: no version


def test_pages_satisfy_the_content_security_policy(task: Task) -> None:
    # default-src 'self' without 'unsafe-inline': no inline script, style or handler, no foreign origin.
    browser = _signed_in(task)
    for path in ("/", "/records", "/new_record", "/search?name=a", "/login", "/account/password"):
        html = browser.get(f"{task.url}{path}", timeout=10).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html), path
