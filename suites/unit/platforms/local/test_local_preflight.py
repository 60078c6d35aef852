"""`humangov preflight --platform local`: no quota applies; the Docker engine answers (or not), and how
many containers the states not deployed yet will start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_local import make_platform
from test_local_fakedocker import FakeDocker

from humangov_deploy.cli import main
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.local.platform import LocalPlatform


class VersionedDocker(FakeDocker):
    def version(self) -> dict[str, str]:
        return {"Version": "27.0-fake"}


def test_preflight_on_local_reports_the_engine_and_no_quota(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    engine = VersionedDocker()
    monkeypatch.setattr("humangov_deploy.platforms.local.from_options", lambda **_: make_platform(engine))
    assert main(["preflight", "--states", "utah,texas", "--platform", "local", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (
        document["ok"] and "27.0-fake" in document["engine"] and document["new_states"] == ["utah", "texas"]
    )
    assert document["quotas"] == [] and any("do not apply" in note for note in document["notes"])
    assert document["containers_needed"] == 2 * (2 * 3 + 2)


def test_preflight_on_local_fails_when_no_engine_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def no_engine(self: Any) -> Any:
        raise ConfigError("no Docker engine answers (test)")

    monkeypatch.setattr(LocalPlatform, "docker", property(no_engine))
    assert main(["preflight", "--states", "utah", "--platform", "local"]) == 1
    assert "FAIL Docker engine: no Docker engine answers (test)" in capsys.readouterr().out
