"""The whole record flow, the upload limits and the security headers, through nginx as the ALB sees it."""

from __future__ import annotations

import re

import requests
from container_kit import MOTO_PORT, PDF, TASK_MAX_UPLOAD_MB, Task

HEADERS = {"X-HumanGov-Request": "1"}
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


def _items(task: Task) -> list[dict[str, object]]:
    return task.clients().dynamodb.scan(TableName=task.data.table)["Items"]  # type: ignore[union-attr]


def _objects(task: Task) -> list[str]:
    listed = task.clients().s3.list_objects_v2(Bucket=task.data.bucket)  # type: ignore[union-attr]
    return [o["Key"] for o in listed.get("Contents", [])]


def test_record_flow_with_a_pdf(task: Task) -> None:
    browser = requests.Session()
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
        headers=HEADERS,
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
        headers=HEADERS,
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
    for path, status in (("/", 200), ("/records", 200), ("/no-such-page", 404), ("/healthz", 200)):
        response = requests.get(f"{task.url}{path}", timeout=10)
        assert response.status_code == status, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["Server"] == "nginx"  # server_tokens off: no version


def test_pages_satisfy_the_content_security_policy(task: Task) -> None:
    # default-src 'self' without 'unsafe-inline': no inline script, style or handler, no foreign origin.
    for path in ("/", "/records", "/new_record", "/search?name=a"):
        html = requests.get(f"{task.url}{path}", timeout=10).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html), path
