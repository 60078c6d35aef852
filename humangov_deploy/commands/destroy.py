"""`humangov destroy --state S`: remove everything of a state, in dependency order; idempotent."""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import add_poll_interval, add_stack_arguments, open_platform
from humangov_deploy.progress import Reporter

DESTROY_TIMEOUT = 900.0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "destroy", parents=[common], help="remove everything of a state (safe after a half-finished deploy)"
    )
    add_stack_arguments(parser, timeout=DESTROY_TIMEOUT)
    aws = parser.add_argument_group("aws platform")
    aws.add_argument(
        "--data",
        choices=("terraform", "boto3"),
        default=None,
        help="how to remove the table and bucket (default: the way the deploy recorded it made them)",
    )
    aws.add_argument("--keep-data", action="store_true", help="leave the state's table and bucket")
    aws.add_argument(
        "--keep-shared", action="store_true", help="leave the shared ECS cluster even when no state uses it"
    )
    add_poll_interval(aws)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    state = appsrc.validate_state(args.state)
    platform = open_platform(args)
    with Reporter.for_args(args) as progress:
        platform.destroy(state, timeout=args.timeout, progress=progress)
    if args.json:
        print(json.dumps({"state": state, "platform": args.platform, "destroyed": True}))
    else:
        print(f"{state}: destroyed on {args.platform}")
    return 0
