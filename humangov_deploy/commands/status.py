"""`humangov status --state S [--json]`: what exists of a state, its tasks' AZs and health, its URL."""

from __future__ import annotations

import argparse
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import add_stack_arguments, open_platform, print_status


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("status", parents=[common], help="show what exists of a state's stack")
    add_stack_arguments(parser, timeout=None)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    status = open_platform(args).status(appsrc.validate_state(args.state))
    print_status(args, status)
    # Exit 3 ("not deployed") lets scripts tell an absent stack from an error (1).
    return 0 if status.exists else 3
