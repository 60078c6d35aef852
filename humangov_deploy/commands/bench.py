"""`humangov bench --state S [--duration 20] [--concurrency N] [--out DIR]`: load a deployed state.

Realistic mixes (list, search, read, PDF, create) for a fixed time against the state's load balancer,
then the same against a baseline served with the seed's gunicorn settings; bench.json and bench.png.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.bench.runner import BenchOptions, check_options, run_bench
from humangov_deploy.commands.deploy import add_stack_arguments, open_platform, progress_for
from humangov_deploy.errors import ConfigError

DEFAULT_DURATION = 20
DEFAULT_CONCURRENCY = 8
DEFAULT_OUT = "bench-results"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "bench",
        parents=[common],
        help="load a deployed state (local platform) and the seed's configuration; bench.json and a plot",
    )
    add_stack_arguments(parser, timeout=None)
    parser.add_argument(
        "--duration",
        type=int,
        default=DEFAULT_DURATION,
        metavar="SECONDS",
        help=f"seconds of load per target, ours then the baseline (default: {DEFAULT_DURATION})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight at once, back to back (default: {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="DIR",
        help=f"where bench.json, bench.png and locust's CSV go (default: ./{DEFAULT_OUT})",
    )
    parser.set_defaults(func=run)


def missing_tools() -> list[str]:
    """The bench extra's packages this Python lacks (locust drives the load, matplotlib draws the plot)."""
    import importlib.util

    return [name for name in ("locust", "matplotlib") if importlib.util.find_spec(name) is None]


def run(args: argparse.Namespace) -> int:
    state = appsrc.validate_state(args.state)
    check_options(args.duration, args.concurrency)
    missing = missing_tools()
    if missing:
        # Checked before any load runs: the bench would otherwise fail after its first target's run.
        raise ConfigError(
            f"humangov bench needs {', '.join(missing)}: pip install 'humangov-deploy[bench]' "
            "(from a checkout, scripts/humangov bench installs it)"
        )
    if args.platform != "local":
        raise ConfigError(
            f"bench runs on the local platform only (its load and its baseline task stay on this machine), "
            f"not {args.platform}"
        )
    from humangov_deploy.platforms.local.platform import LocalPlatform  # the CLI imports platforms lazily

    platform = open_platform(args)
    if not isinstance(platform, LocalPlatform):  # pragma: no cover - the check above keeps aws out
        raise ConfigError(f"bench needs the local platform, not {platform.name}")
    options = BenchOptions(state=state, duration=args.duration, concurrency=args.concurrency, out=args.out)
    report = run_bench(options, platform=platform, docker=platform.docker, progress=progress_for(args))
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0 if report.errors == 0 else 1
