"""`humangov verify --state S`: tasks in distinct AZs, healthy targets, HTTP 200 and a record round trip."""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import add_stack_arguments, open_platform, progress_for
from humangov_deploy.verify import verify


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "verify", parents=[common], help="check a deployed state end to end; exit 1 on any failed check"
    )
    add_stack_arguments(parser, timeout=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = verify(open_platform(args), appsrc.validate_state(args.state), progress=progress_for(args))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report)
    return 0 if report.ok else 1
