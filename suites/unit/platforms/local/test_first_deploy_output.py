"""What a first `humangov deploy` prints: timed step lines, at most 40; the tools' output goes to a log.

The whole first run is played on fakes: no image in the engine, so the three Debian bases are made (a fake
mmdebstrap that talks a lot), the wheelhouses downloaded (a fake pip), the four images built (a fake
build API streaming many steps), then the stack comes up on the fake engine with its data on moto.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fake_clock import FakeClock
from images_testkit import BuildApi, fake_mmdebstrap, fake_pip_download
from moto import mock_aws
from test_local_fakedocker import FakeDocker, FakeHttp

from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.commands import deploy as deploy_command
from humangov_deploy.platforms.local.platform import LocalPlatform

MAX_LINES = 40
STEP = re.compile(r"^\[\d\d:\d\d\] ")
TOOL_LINES = 60  # per mmdebstrap run and per image build: far more than the budget, all of it logged


@pytest.fixture
def first_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BuildApi]:
    """An empty engine whose builds and bases talk a lot; the deploy command opens a platform on it."""
    monkeypatch.setenv("HUMANGOV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HUMANGOV_DEBIAN_MIRROR", "http://mirror.test/debian")
    monkeypatch.setenv("HUMANGOV_DEBIAN_SECURITY_MIRROR", "http://mirror.test/debian-security")
    fake_mmdebstrap(tmp_path, monkeypatch, exit_code=0, lines=TOOL_LINES)
    fake_pip_download(monkeypatch)
    engine = FakeDocker(images=())
    api = BuildApi(engine.image_tags, lines=TOOL_LINES // 2, inner=engine.api)
    engine.api = api  # type: ignore[assignment]

    def get_platform(name: str, **options: Any) -> LocalPlatform:
        clock = FakeClock(start=0.0)
        return LocalPlatform(
            docker=engine,
            http=FakeHttp(engine),
            clock=clock,
            sleep=clock.sleep,
            run_id="run-1",
            now=lambda: datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
            clients_factory=lambda endpoint: AwsClients(region="us-east-1"),
        )

    monkeypatch.setattr(deploy_command, "get_platform", get_platform)
    with mock_aws():
        yield api


def log_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "logs").glob("deploy-*.log"))


def test_a_first_deploy_prints_timed_steps_within_the_budget(
    first_run: BuildApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "--state", "california"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(first_run.builds) == 4, "app, nginx, lb and emulator were all built"
    assert len(lines) <= MAX_LINES, "\n".join(lines)
    (log,) = log_files(tmp_path)
    assert [line[8:] for line in lines if " log: " in line] == [f"log: {log}"], "its path, shown once"
    steps = [line for line in lines if STEP.match(line)]
    assert lines[: len(steps)] == steps, "every line before the final status is a timed step"
    assert any("app: built humangov-app:" in s and re.search(r" in \d+\.\d s$", s) for s in steps)
    assert re.search(r"california is up: https://127\.0\.0\.1:\d+$", steps[-1]), steps[-1]
    assert not any("Step " in line or "Unpacking" in line for line in lines), "tool output stays in the log"
    text = log.read_text()
    assert "app: Step 30/30 : RUN step 30" in text and "base lb: Unpacking package-59 ..." in text


def test_verbose_also_shows_the_tools_output(
    first_run: BuildApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "--state", "california", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "    nginx: Step 30/30 : RUN step 30" in out and "    base app: Unpacking package-59 ..." in out
    (log,) = log_files(tmp_path)
    assert "nginx: Step 30/30 : RUN step 30" in log.read_text()


def test_a_failed_build_shows_the_last_lines_of_its_log(
    first_run: BuildApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first_run.fail = "The command '/bin/sh -c pip install' returned a non-zero code: 1"
    assert main(["deploy", "--state", "california"]) == 1
    captured = capsys.readouterr()
    (log,) = log_files(tmp_path)
    err = captured.err.splitlines()
    tail_header = next(i for i, line in enumerate(err) if line.startswith("last "))
    assert err[tail_header] == f"last 20 lines of {log}:"
    tail = err[tail_header + 1 : tail_header + 21]
    assert all(line.startswith("    ") for line in tail)
    assert any("Step 30/30 : RUN step 30" in line for line in tail)
    error = "\n".join(err[tail_header + 21 :])
    assert error.startswith("humangov deploy: error:") and "non-zero code: 1" in error
    assert "Step " not in captured.out
