"""`humangov sweep [--older-than 2h] [--dry-run]`: find leftovers by tag and remove them.

For runs that died before their teardown (a killed CI job, a crashed laptop). Only resources tagged
`humangov:managed-by` are considered, and a state only when all of its resources are older than the
threshold, so a deploy in progress is never swept from under its feet.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from humangov_deploy.commands.deploy import add_poll_interval, open_platform, progress_for
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms import PLATFORMS

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `2h`, `1d` -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"bad duration {text!r}: use a number with s, m, h or d (e.g. 2h)")
    return float(match.group(1)) * UNITS[match.group(2) or "s"]


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "sweep", parents=[common], help="remove leftovers of earlier runs, found by tag"
    )
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default="aws",
        help="where to look for leftovers (default: aws)",
    )
    parser.add_argument("--older-than", type=parse_duration, default=parse_duration("2h"), help="default: 2h")
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    parser.add_argument("--state", action="append", default=None, help="only this state (repeatable)")
    parser.add_argument("--timeout", type=float, default=900.0, help="deadline per state removed (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout instead of text")
    add_poll_interval(parser.add_argument_group("aws platform"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    platform = open_platform(args)
    sweep = getattr(platform, "sweep", None)
    if sweep is None:
        raise ConfigError(f"the {args.platform} platform has no sweep")
    report = sweep(
        older_than=args.older_than,
        dry_run=args.dry_run,
        timeout=args.timeout,
        run_id=args.run_id,
        states=args.state,
        progress=progress_for(args),
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0
