"""What a command shows while it works: one line per step with its time, the noise in a log file.

The API (small on purpose; `build`, `push`, `deploy`, `destroy`, `rollout` use only this):

    with Reporter.for_args(args) as progress:  # or Reporter.for_command("deploy", verbose=..., quiet=...)
        platform.deploy(state, timeout=args.timeout, progress=progress)

- `progress("message")` (a `Progress`: any `Callable[[str], None]` works where one is expected) starts a
  step: one line `[mm:ss] message`, mm:ss being the time since the command started. On a terminal,
  once no step has begun for `live_after` seconds (mmdebstrap, image builds, waits), a spinner and the
  running clock are redrawn at the end of the newest line (`\\r`) until the next step. Elsewhere (CI, a
  pipe) every step is one plain line, written when it starts. Steps run in parallel, so a step that
  ends says so itself, with its own duration ("app: built ... in 12.3 s").
- `detail_sink(progress)(line)`: one line of a tool's output (docker build, mmdebstrap). It goes to a log
  file, `<cache dir>/logs/<command>-<time>.log`, created at the first such line, whose path is shown
  once; with `verbose` the line is also shown; with any other `Progress` it goes to that callable.
- Leaving the `with` block by an exception shows, on stderr, the last `TAIL_LINES` lines of the log and
  its path (the error itself is the CLI's to print).

Clock, stream, terminal width and the ticker are injectable, so tests need no terminal and no sleeps.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from humangov_deploy.cache import cache_dir

Progress = Callable[[str], None]

TAIL_LINES = 20
LIVE_AFTER = 3.0  # seconds without a new step before the terminal shows a spinner and the clock
TICK_INTERVAL = 0.2
SPINNER = "|/-\\"
CLEAR_LINE = "\r\x1b[K"


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the output of docker build and mmdebstrap (always written to a log file)",
    )


def detail_sink(progress: Progress) -> Progress:
    """Where a tool's raw output goes: the reporter's log, or (any other Progress) the callable itself."""
    detail = getattr(progress, "detail", None)
    return detail if callable(detail) else progress


def log_dir() -> Path:
    return cache_dir() / "logs"


def elapsed_label(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"[{minutes:02d}:{secs:02d}]"


class Reporter:
    """A Progress that draws steps (see the module docstring); thread-safe, for steps run in parallel."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        command: str = "humangov",
        verbose: bool = False,
        quiet: bool = False,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = datetime.now,
        logs: Path | None = None,
        width: int | None = None,
        live_after: float = LIVE_AFTER,
        err: IO[str] | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.command, self.verbose, self.quiet = command, verbose, quiet
        self.tty = _is_tty(self.stream) if tty is None else tty
        self.clock, self.now = clock, now
        self._logs = logs
        self._width = width
        self.live_after = live_after
        self.start = clock()
        self.log_path: Path | None = None
        self._log: IO[str] | None = None
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._open: tuple[str, float] | None = None  # the terminal's newest line (no newline yet), its time
        self._spin = 0
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    @classmethod
    def for_command(cls, command: str, *, verbose: bool = False, quiet: bool = False) -> Reporter:
        return cls(command=command, verbose=verbose, quiet=quiet)

    @classmethod
    def for_args(cls, args: argparse.Namespace, *, quiet: bool = False) -> Reporter:
        """The command's reporter from its parsed options: `--verbose`; `--json` keeps stdout for JSON."""
        return cls.for_command(
            str(getattr(args, "command", None) or "humangov"),
            verbose=bool(getattr(args, "verbose", False)),
            quiet=quiet or bool(getattr(args, "json", False)),
        )

    # --- the Progress protocol ---------------------------------------------------------------------

    def __call__(self, message: str) -> None:
        with self._lock:
            line = f"{elapsed_label(self.clock() - self.start)} {message}"
            self._write_log(f"== {line}")
            if self.quiet:
                return
            self._close_open()
            if self.tty:
                self._open = (line, self.clock())
                self._out(self._fit(line))
            else:
                self._out(line + "\n")

    def detail(self, line: str) -> None:
        with self._lock:
            self._tail.append(line)
            self._write_log(line)
            if self.verbose and not self.quiet:
                self._clear_live()
                self._out(f"    {line}\n")
                self._redraw_open()

    # --- the terminal ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the spinner and the clock on the newest line (a thread calls this a few times a second)."""
        with self._lock:
            if self._open is None:
                return
            line, started = self._open
            now = self.clock()
            if now - started < self.live_after:
                return
            self._spin = (self._spin + 1) % len(SPINNER)
            live = f" {SPINNER[self._spin]} {elapsed_label(now - self.start)[1:-1]}"
            self._out(CLEAR_LINE + self._fit(line, live))

    def _close_open(self) -> None:
        if self._open is None:
            return
        self._out(CLEAR_LINE + self._fit(self._open[0]) + "\n")
        self._open = None

    def _clear_live(self) -> None:
        if self._open is not None:
            self._out(CLEAR_LINE)

    def _redraw_open(self) -> None:
        if self._open is not None:
            self._out(self._fit(self._open[0]))

    def _fit(self, line: str, suffix: str = "") -> str:
        # A live line longer than the terminal would wrap, and `\r` would then redraw only its last row.
        width = self._width or shutil.get_terminal_size((100, 24)).columns
        room = max(width - 1 - len(suffix), 10)
        return (line if len(line) <= room else line[: room - 3] + "...") + suffix

    def _out(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    # --- the log -----------------------------------------------------------------------------------

    def _write_log(self, line: str) -> None:
        if self._log is None:
            if line.startswith("== "):
                return  # steps alone do not open a log: a run with nothing to build leaves none
            self._open_log()
        assert self._log is not None
        self._log.write(line + "\n")
        self._log.flush()

    def _open_log(self) -> None:
        directory = self._logs or log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self.log_path = directory / f"{self.command}-{self.now():%Y%m%d-%H%M%S-%f}.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        if not self.quiet:
            self._clear_live()
            self._out(f"{elapsed_label(self.clock() - self.start)} log: {self.log_path}\n")
            self._redraw_open()

    # --- lifetime ----------------------------------------------------------------------------------

    def __enter__(self) -> Reporter:
        if self.tty and not self.quiet:
            self._ticker = threading.Thread(target=self._tick_forever, name="humangov-progress", daemon=True)
            self._ticker.start()
        return self

    def _tick_forever(self) -> None:
        while not self._stop.wait(TICK_INTERVAL):
            self.tick()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(failed=exc is not None and not isinstance(exc, KeyboardInterrupt))

    def close(self, *, failed: bool = False) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if not self.quiet:
                self._close_open()
            if failed and self.log_path is not None and self._tail:
                self.err.write(f"last {len(self._tail)} lines of {self.log_path}:\n")
                self.err.writelines(f"    {line}\n" for line in self._tail)
                self.err.flush()
            if self._log is not None:
                self._log.close()
                self._log = None


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
