"""`humangov logs --state S`: the app's and nginx's log lines of the state's tasks, merged by time.

`--request-id RID` finds one request across nginx and the app (both log the id nginx gives it), searching
every task the state had within `--since`, gone ones too on AWS (CloudWatch keeps their streams).
`--follow` keeps printing new lines until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import add_stack_arguments, open_platform
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import LogLine, Platform

FOLLOW_INTERVAL = 2.0  # seconds between two reads of --follow
_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX_SINCE = timedelta(days=30)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("logs", parents=[common], help="the log lines of a state's tasks, by time")
    add_stack_arguments(parser, timeout=None)
    parser.add_argument("--since", default="10m", help="how far back: 30s, 10m, 2h, 1d (default: 10m)")
    parser.add_argument("--request-id", default=None, metavar="RID", help="only the lines of this request")
    parser.add_argument("--follow", action="store_true", help="keep printing new lines until Ctrl-C")
    parser.set_defaults(func=run)


def read_lines(platform: Platform, state: str, since: datetime, request_id: str | None) -> list[LogLine]:
    if platform.name == "local":
        from humangov_deploy.platforms.local.platform import LocalPlatform
        from humangov_deploy.platforms.local.task_logs import task_log_lines as local_lines

        assert isinstance(platform, LocalPlatform)
        return merged(local_lines(platform.docker, state, since), request_id)
    if platform.name == "aws":
        from humangov_deploy.platforms.aws.platform import AwsPlatform
        from humangov_deploy.platforms.aws.task_logs import task_log_lines as aws_lines

        assert isinstance(platform, AwsPlatform)
        return merged(aws_lines(platform.clients, state, since, request_id), request_id)
    raise ConfigError(f"logs does not know the platform {platform.name!r}")


def run(
    args: argparse.Namespace,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
) -> int:
    state = appsrc.validate_state(args.state)
    since = parse_since(args.since, now())
    platform = open_platform(args)
    lines = read_lines(platform, state, since, args.request_id)
    show(args, lines)
    if not args.follow:
        if not lines and not platform.status(state).exists:
            raise ConfigError(f"{state} is not deployed on {platform.name}")
        return 0
    seen = set(lines)
    count = 0
    try:
        while polls is None or count < polls:
            count += 1
            sleep(FOLLOW_INTERVAL)
            # Read again from a little before the newest line: lines can arrive out of order.
            start = max([since, *(line.time - timedelta(seconds=5) for line in lines[-1:])])
            fresh = [line for line in read_lines(platform, state, start, args.request_id) if line not in seen]
            seen.update(fresh)
            lines = lines + fresh
            show(args, fresh)
    except KeyboardInterrupt:
        return 0
    return 0


def parse_since(text: str, now: datetime) -> datetime:
    """`10m`, `2h`, `1d`, `30s`: that long before `now` (at most 30 days)."""
    found = _SINCE.fullmatch(text.strip())
    if not found:
        raise ConfigError(f"--since takes a duration such as 30s, 10m, 2h or 1d, not {text!r}")
    span = timedelta(**{_UNITS[found[2]]: int(found[1])})
    if span > MAX_SINCE:
        raise ConfigError(f"--since is at most 30d, not {text}")
    return now - span


def merged(lines: Iterable[LogLine], request_id: str | None = None) -> list[LogLine]:
    """By time (then task and container), only those naming `request_id` when one is given."""
    wanted = request_id.strip() if request_id else None
    if wanted is not None and not re.fullmatch(r"[A-Za-z0-9-]{8,64}", wanted):
        raise ConfigError(
            f"--request-id takes the id of a request (8 to 64 letters, digits or -), not {request_id!r}"
        )
    return sorted(line for line in lines if wanted is None or wanted in line.message)


def show(args: argparse.Namespace, lines: list[LogLine]) -> None:
    for line in lines:
        print(json.dumps(line.to_json()) if args.json else str(line), flush=True)
