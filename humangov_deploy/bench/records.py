"""The bench's own records: made before the load (for reads, searches and PDFs), removed after it.

Every bench record carries the run's tag in its last name. Cleanup removes the ids the run knows (made
here, or logged by the locustfile as each create answered) and then every record a search for the tag
still finds: a create whose answer never arrived (a timeout, Ctrl-C) left a record with no logged id.
All through the app's JSON API, as a user's script would, so the app removes each record's PDF too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

from humangov_deploy.bench.mixes import GUARD_HEADER, bench_pdf, record_fields
from humangov_deploy.errors import DeploymentFailed

Progress = Callable[[str], None]
HTTP_TIMEOUT = 30.0
# A search page is bounded by the app's read budget, so it may be empty yet have a next cursor.
MAX_SEARCH_PAGES = 1000


def new_tag() -> str:
    """Short, unique, lower case (search is case-folded), and no ordinary name contains it."""
    return f"hgb{secrets.token_hex(4)}"


def seed(http: requests.Session, url: str, tag: str, count: int) -> list[str]:
    """Create `count` records with a PDF each; their ids, in order."""
    ids = []
    for n in range(count):
        response = http.post(
            f"{url}/api/employees",
            data=record_fields(tag, n),
            files={"pdf": (f"bench-{n}.pdf", bench_pdf(tag), "application/pdf")},
            headers=GUARD_HEADER,
            timeout=HTTP_TIMEOUT,
        )
        if response.status_code != 201:
            raise DeploymentFailed(
                f"creating bench record {n} at {url} answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        ids.append(str(response.json()["id"]))
    return ids


def logged_ids(path: Path) -> list[str]:
    """Ids the locustfile appended to its log (a line cut by a kill is skipped by the API's 404)."""
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_tagged(http: requests.Session, url: str, tag: str) -> list[str]:
    """Every record whose name holds the tag, following the search's cursors."""
    found: list[str] = []
    cursor: str | None = None
    for _ in range(MAX_SEARCH_PAGES):
        params = {"name": tag, "limit": "100", **({"cursor": cursor} if cursor else {})}
        response = http.get(f"{url}/api/employees", params=params, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        body = response.json()
        found += [str(item["id"]) for item in body.get("items", []) if tag in item.get("last_name", "")]
        cursor = body.get("next")
        if not cursor:
            break
    return found


def remove(http: requests.Session, url: str, ids: Iterable[str]) -> int:
    """Delete each record (404: already gone); returns how many were deleted now."""
    removed = 0
    for record_id in dict.fromkeys(ids):
        response = http.delete(f"{url}/api/employees/{record_id}", headers=GUARD_HEADER, timeout=HTTP_TIMEOUT)
        if response.status_code == 204:
            removed += 1
        elif response.status_code != 404:
            raise DeploymentFailed(
                f"removing bench record {record_id} answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
    return removed


def cleanup(http: requests.Session, url: str, tag: str, known: Iterable[str], progress: Progress) -> int:
    """Remove the known ids, then whatever the tag still finds; returns the number removed."""
    removed = remove(http, url, known)
    removed += remove(http, url, find_tagged(http, url, tag))
    left = find_tagged(http, url, tag)
    if left:
        raise DeploymentFailed(f"{len(left)} bench record(s) tagged {tag} are still there: {left[:5]}")
    progress(f"removed {removed} bench record(s) tagged {tag}")
    return removed
