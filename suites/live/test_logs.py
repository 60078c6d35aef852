"""`humangov logs --request-id` finds one request in nginx's and the app's lines of the live stack."""

from __future__ import annotations

import json

import pytest
from livekit import LiveStack

from humangov_deploy.cli import main
from humangov_deploy.waits import Poll, poll_until


def test_one_request_is_found_in_nginx_and_the_app(
    stack: LiveStack, capsys: pytest.CaptureFixture[str]
) -> None:
    response = stack.http.post(f"{stack.url}/api/employees", json={"first_name": "Log"}, timeout=10)
    rid = response.headers["X-Request-ID"]
    argv = ["logs", "--state", stack.state, "--platform", stack.platform_name, "--since", "5m", "--json"]

    def found() -> Poll[list[dict[str, str]]]:
        assert main([*argv, "--request-id", rid]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        return Poll({line["container"] for line in lines} == {"nginx", "app"}, lines)

    # CloudWatch Logs takes seconds to show a line; the engine's logs are there at once.
    lines = poll_until(found, timeout=120, interval=5, what=f"request {rid} in both containers' logs")
    assert all(rid in line["message"] for line in lines)
    assert len({line["task"] for line in lines}) == 1  # one request, served by one task
