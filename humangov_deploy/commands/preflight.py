"""`humangov preflight --states a,b|all [--platform aws|local] [--json]`: will these states fit?

On aws: each quota a fleet meets (from Service Quotas, else AWS's default, else the documented one, and
which), what is in use, what the states need and what is left, and an estimated monthly cost at list
prices (platforms/aws/quotas.py, pricing.py). On local: whether the Docker engine answers (no quota
applies). Exit 0 when the states fit, 1 when a quota would be exceeded (or the engine does not answer).

`deploy` of a state not deployed yet, and `rollout --create-missing`, run the same check first and refuse
before creating anything (`guard`); `--skip-preflight` skips it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import DEFAULT_PLATFORM, open_platform
from humangov_deploy.commands.preflight_check import check
from humangov_deploy.platforms import PLATFORMS
from humangov_deploy.rollout.plan import parse_states


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "preflight",
        parents=[common],
        help="check quotas, usage and an estimated monthly cost for states before deploying them",
    )
    parser.add_argument(
        "--states", required=True, help="states, comma-separated, or `all` (all 50 US states)"
    )
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default=DEFAULT_PLATFORM,
        help=f"where the states would run (default: {DEFAULT_PLATFORM})",
    )
    parser.add_argument("--desired-count", type=int, default=None, help="tasks per state (default: 2)")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    platform = open_platform(args)
    states = parse_states(args.states, lambda: list(appsrc.states()))  # `all`: every US state
    report = check(platform, states)
    print(json.dumps(report.to_json(), indent=2) if args.json else "\n".join(report.lines()))
    return 0 if report.ok else 1
