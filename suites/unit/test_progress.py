"""The reporter: one line per step with its time, a live line on a terminal, the noise in a log file."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from fake_clock import FakeClock

from humangov_deploy.progress import CLEAR_LINE, TAIL_LINES, Reporter, detail_sink

NOW = datetime(2025, 1, 2, 3, 4, 5)


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def reporter(tmp_path: Path, stream: io.StringIO, clock: FakeClock, **kwargs: object) -> Reporter:
    return Reporter(stream, command="deploy", clock=clock, now=lambda: NOW, logs=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_off_a_terminal_each_step_is_one_plain_line_with_the_time_since_the_start(tmp_path: Path) -> None:
    clock, out = FakeClock(), io.StringIO()
    with reporter(tmp_path, out, clock) as progress:
        progress("images: building")
        clock.sleep(75)
        progress("california is up")
    assert out.getvalue() == "[00:00] images: building\n[01:15] california is up\n"
    assert not list(tmp_path.iterdir()), "steps alone leave no log file"


def test_tool_output_goes_to_a_log_whose_path_is_shown_once(tmp_path: Path) -> None:
    clock, out = FakeClock(), io.StringIO()
    with reporter(tmp_path, out, clock) as progress:
        progress("app: building")
        for n in range(50):
            detail_sink(progress)(f"Step {n}/50")
        progress("app: built")
    (log,) = tmp_path.iterdir()
    assert log.name == "deploy-20250102-030405-000000.log"
    assert out.getvalue().splitlines() == [
        "[00:00] app: building",
        f"[00:00] log: {log}",
        "[00:00] app: built",
    ]
    text = log.read_text().splitlines()
    assert text[0] == "Step 0/50" and "Step 49/50" in text and text[-1] == "== [00:00] app: built"


def test_verbose_streams_the_tool_output_too(tmp_path: Path) -> None:
    clock, out = FakeClock(), io.StringIO()
    with reporter(tmp_path, out, clock, verbose=True) as progress:
        progress("app: building")
        detail_sink(progress)("Step 1/2 : FROM base")
    assert "    Step 1/2 : FROM base\n" in out.getvalue()


def test_a_failure_shows_the_last_lines_of_the_log_and_its_path(tmp_path: Path) -> None:
    clock, out, err = FakeClock(), io.StringIO(), io.StringIO()
    with pytest.raises(RuntimeError), reporter(tmp_path, out, clock, err=err) as progress:
        progress("app: building")
        for n in range(100):
            progress.detail(f"output line {n}")
        raise RuntimeError("the build failed")
    lines = err.getvalue().splitlines()
    assert lines[0] == f"last {TAIL_LINES} lines of {next(tmp_path.iterdir())}:"
    assert lines[1:] == [f"    output line {n}" for n in range(100 - TAIL_LINES, 100)]
    assert "output line" not in out.getvalue()


def test_success_shows_no_tail(tmp_path: Path) -> None:
    clock, err = FakeClock(), io.StringIO()
    with reporter(tmp_path, io.StringIO(), clock, err=err) as progress:
        progress.detail("output")
    assert err.getvalue() == ""


def test_quiet_shows_nothing_but_still_logs(tmp_path: Path) -> None:
    clock, out = FakeClock(), io.StringIO()
    with reporter(tmp_path, out, clock, quiet=True) as progress:
        progress("step")
        progress.detail("output")
    assert out.getvalue() == ""
    assert "output" in next(tmp_path.iterdir()).read_text()


def test_on_a_terminal_a_long_wait_shows_a_spinner_and_the_running_clock(tmp_path: Path) -> None:
    clock, tty = FakeClock(), FakeTty()
    progress = reporter(tmp_path, tty, clock, tty=True, width=80, live_after=3)
    clock.sleep(61)
    progress("base app: mmdebstrap")
    assert tty.getvalue() == "[01:01] base app: mmdebstrap", "the newest line has no newline yet"
    clock.sleep(2)
    progress.tick()
    assert tty.getvalue() == "[01:01] base app: mmdebstrap", "no spinner for a short wait"
    clock.sleep(3)
    progress.tick()
    assert tty.getvalue().endswith(CLEAR_LINE + "[01:01] base app: mmdebstrap / 01:06")
    clock.sleep(1)
    progress.tick()
    assert tty.getvalue().endswith(CLEAR_LINE + "[01:01] base app: mmdebstrap - 01:07")
    clock.sleep(5)
    progress("base app: imported")
    progress.close()
    screen = tty.getvalue().split(CLEAR_LINE)[-2:]
    assert screen == [
        "[01:01] base app: mmdebstrap\n[01:12] base app: imported",
        "[01:12] base app: imported\n",
    ]


def test_a_live_line_never_wraps(tmp_path: Path) -> None:
    clock, tty = FakeClock(), FakeTty()
    progress = reporter(tmp_path, tty, clock, tty=True, width=30, live_after=0)
    progress("app: building humangov-app:0123456789abcdef-0123456789ab")
    progress.tick()
    live = tty.getvalue().split(CLEAR_LINE)[-1]
    assert len(live) <= 29 and live.endswith("... / 00:00")


def test_verbose_output_on_a_terminal_clears_the_live_line_first(tmp_path: Path) -> None:
    clock, tty = FakeClock(), FakeTty()
    progress = reporter(tmp_path, tty, clock, tty=True, width=80, verbose=True)
    progress("app: building")
    progress.detail("Step 1/2")
    assert tty.getvalue().endswith(CLEAR_LINE + "    Step 1/2\n[00:00] app: building")


def test_any_other_progress_receives_the_tool_output_itself() -> None:
    seen: list[str] = []
    detail_sink(seen.append)("Step 1/2")
    assert seen == ["Step 1/2"]
