"""`humangov bench`'s checks, each a clear one-line error before any load or Docker object."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from humangov_deploy.bench import runner
from humangov_deploy.bench.loadgen import LOCUSTFILE, Load, command
from humangov_deploy.bench.runner import BenchOptions, check_loopback, deployed_url, run_bench
from humangov_deploy.cli import main
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import StackStatus, TaskInfo


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--duration", "0"], "--duration must be from 1 to 600 seconds (per target), not 0"),
        (["--duration", "601"], "--duration must be from 1 to 600 seconds (per target), not 601"),
        (["--concurrency", "0"], "--concurrency must be from 1 to 64 requests in flight, not 0"),
        (["--concurrency", "65"], "--concurrency must be from 1 to 64 requests in flight, not 65"),
        (["--platform", "aws"], "bench runs on the local platform only"),
        (["--state", "atlantis"], "atlantis"),
    ],
)
def test_bad_options_fail_with_one_clear_line(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--state", "nevada", *options]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("humangov bench: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_duration_and_concurrency_bounds_are_inclusive() -> None:
    runner.check_options(1, 1)
    runner.check_options(600, 64)


class FakePlatform:
    name = "local"

    def __init__(self, status: StackStatus) -> None:
        self._status = status

    def status(self, state: str) -> StackStatus:
        return self._status


def test_a_state_not_deployed_says_how_to_deploy_it() -> None:
    platform = FakePlatform(StackStatus(state="nevada", platform="local"))
    expected = r"nevada is not deployed on the local platform: run `humangov deploy --state nevada"
    with pytest.raises(ConfigError, match=expected):
        deployed_url(platform, "nevada")  # type: ignore[arg-type]


def test_a_state_with_no_healthy_task_is_refused() -> None:
    unhealthy = [TaskInfo("t1", "zone-a", "RUNNING", False)]
    status = StackStatus(state="nevada", platform="local", url="http://127.0.0.1:8080", tasks=unhealthy)
    with pytest.raises(ConfigError, match="no healthy task"):
        deployed_url(FakePlatform(status), "nevada")  # type: ignore[arg-type]


def test_the_run_refuses_before_touching_docker_when_the_state_is_not_deployed(tmp_path: Path) -> None:
    class NoDocker:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"docker.{name} used")

    platform = FakePlatform(StackStatus(state="nevada", platform="local"))
    options = BenchOptions(state="nevada", duration=3, concurrency=4, out=tmp_path / "out")
    with pytest.raises(ConfigError, match="not deployed"):
        run_bench(options, platform=platform, docker=NoDocker(), progress=lambda _m: None)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:80", "http://[::1]:80", "http://127.1.2.3"]
)
def test_loopback_urls_are_loaded(url: str) -> None:
    check_loopback(url)


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:80", "http://192.168.1.2", "http://example.com", "http://0.0.0.0:80"]
)
def test_any_other_address_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="loads only this machine"):
        check_loopback(url)


def test_locust_runs_headless_bounded_and_all_users_at_once() -> None:
    argv = command(Load(url="http://127.0.0.1:9", duration=20, concurrency=8, plan=Path("/tmp/plan.json")))
    assert argv[1:5] == ["-m", "locust", "-f", str(LOCUSTFILE)]
    pairs = dict(itertools.pairwise(argv))
    assert "--headless" in argv and "--only-summary" in argv
    assert pairs["--host"] == "http://127.0.0.1:9"
    assert pairs["--users"] == pairs["--spawn-rate"] == "8"
    assert pairs["--run-time"] == "20s"
    assert pairs["--exit-code-on-error"] == "0"
    assert LOCUSTFILE.exists()


def test_missing_bench_tools_are_named_before_any_load(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Right after `scripts/humangov deploy` (the app extra only), bench says what to install, at once."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    monkeypatch.setattr(runner, "run_bench", lambda *a, **k: pytest.fail("the bench started"))
    assert main(["bench", "--state", "nevada", "--platform", "local"]) == 1
    err = capsys.readouterr().err
    assert "humangov bench needs locust: pip install 'humangov-deploy[bench]'" in err


@pytest.mark.parametrize(
    ("argv", "extras"),
    [(["bench", "--state", "nevada"], "app,bench"), (["--verbose", "bench"], "app,bench"),
     (["deploy", "--state", "bench"], "app"), (["status"], "app")],
)  # fmt: skip
def test_scripts_humangov_installs_the_bench_extra_for_bench_only(
    tmp_path: Path, argv: list[str], extras: str
) -> None:
    """The script, copied beside a bootstrap and a CLI that only report what they were asked."""
    import os
    import shutil
    import subprocess

    (tmp_path / "scripts").mkdir()
    shutil.copy(
        Path(__file__).resolve().parents[3] / "scripts" / "humangov", tmp_path / "scripts" / "humangov"
    )
    (tmp_path / "scripts" / "bootstrap").write_text('#!/bin/sh\necho "$HUMANGOV_EXTRAS" > "$0.extras"\n')
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "humangov").write_text("#!/bin/sh\nexit 0\n")
    for script in ("scripts/humangov", "scripts/bootstrap", ".venv/bin/humangov"):
        (tmp_path / script).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "HUMANGOV_EXTRAS"}
    subprocess.run([str(tmp_path / "scripts" / "humangov"), *argv], check=True, env=env, timeout=30)
    assert (tmp_path / "scripts" / "bootstrap.extras").read_text().strip() == extras
