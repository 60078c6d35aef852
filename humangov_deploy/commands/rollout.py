"""`humangov rollout --states a,b,c|all`: one version to many states, canary first, then waves.

Every option of `deploy` applies to each state. The version is made once (images built and pushed, or
`--app-image/--nginx-image`); each state is deployed, then gated (`verify`, or `deploy` on emulators);
the first failure halts the rollout and rolls its wave back. Exit 0 only if every state ended on the
new version.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from humangov_deploy.commands.deploy import (
    DEFAULT_PLATFORM,
    DEPLOY_TIMEOUT,
    add_deploy_options,
    open_platform,
)
from humangov_deploy.commands.preflight_check import guard
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import STATE_PLACEHOLDER
from humangov_deploy.platforms import PLATFORMS
from humangov_deploy.platforms.base import Platform, Version, print_progress
from humangov_deploy.rollout import record as rec
from humangov_deploy.rollout import report
from humangov_deploy.rollout.plan import make_plan, parse_states
from humangov_deploy.rollout.record import Records, RolloutRecord, new_rollout_id
from humangov_deploy.rollout.runner import (
    GATES,
    ROLLBACK_SCOPES,
    Runner,
    deploy_gate,
    new_record,
    verify_gate,
)
from humangov_deploy.users import cli_actor

# What a dry run shows as the version when the images would be built from the checkout.
TO_BE_BUILT = Version(app="humangov-app:(built-from-checkout)", nginx="humangov-nginx:(built-from-checkout)")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "rollout",
        parents=[common],
        help="ship one version to many states: a canary, then waves; halt and roll back on failure",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--states", help="states to roll out to, comma-separated, or `all` (every deployed one)"
    )
    which.add_argument("--resume", metavar="RUN_ID", help="resume this rollout: skip its states already done")
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default=DEFAULT_PLATFORM,
        help=f"where the states run (default: {DEFAULT_PLATFORM})",
    )
    parser.add_argument("--canary", default=None, help="the state deployed first, alone (default: the first)")
    parser.add_argument(
        "--wave-size", type=int, default=5, help="states per wave after the canary (default: 5)"
    )
    parser.add_argument("--max-parallel", type=int, default=4, help="deploys at once, at most (default: 4)")
    parser.add_argument(
        "--gate",
        choices=GATES,
        default="verify",
        help="a state is done when `verify` passes (default), or when the deploy's own wait passes "
        "(`deploy`: for emulators such as moto, where verify cannot pass)",
    )
    parser.add_argument(
        "--rollback",
        choices=ROLLBACK_SCOPES,
        default="wave",
        help="on a halt, roll back the failed wave (default) or every state this rollout moved",
    )
    parser.add_argument(
        "--create-missing", action="store_true", help="deploy states that are not deployed yet (else skipped)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEPLOY_TIMEOUT,
        metavar="SECONDS",
        help=f"deadline of each state's deploy and of each rollback (default: {DEPLOY_TIMEOUT:.0f})",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    add_deploy_options(parser)
    parser.set_defaults(func=run, rollout_action=None)
    actions = parser.add_subparsers(dest="rollout_action", metavar="abandon RUN_ID")
    abandon = actions.add_parser(
        "abandon",
        parents=[common],
        help="end a rollout whose runner died (its lease ran out): no state is touched",
    )
    abandon.add_argument("abandon_id", metavar="RUN_ID", help="the rollout to end")
    abandon.add_argument("--platform", choices=sorted(PLATFORMS), default=DEFAULT_PLATFORM)
    abandon.add_argument("--json", action="store_true", help="print the record as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    if args.rollout_action == "abandon":
        return run_abandon(args)
    if not (args.states or args.resume):
        raise ConfigError("pass --states LIST or --resume RUN_ID (or `humangov rollout abandon RUN_ID`)")
    if args.max_parallel < 1:
        raise ConfigError(f"--max-parallel must be at least 1, not {args.max_parallel}")
    # Many states from one process: the aws platform shares thread-safe clients with adaptive retries.
    args.retry_mode = "adaptive"
    platform = open_platform(args)
    # With --json stdout holds the document alone; the transitions still show, on stderr.
    say = _printer(sys.stderr if args.json else sys.stdout)
    records = Records(platform.rollout_records())
    if args.resume:
        record = _resumable(records, args.resume, platform.name)
    else:
        record = _new(args, platform, say)
        if args.dry_run:
            _emit(args, record, report.plan_lines(record), dry_run=True)
            return 0
    if record.status != rec.DONE:
        runner = Runner(
            platform,
            records,
            max_parallel=args.max_parallel,
            timeout=args.timeout,
            gate=deploy_gate if record.gate == "deploy" else verify_gate,
            say=say,
        )
        runner.run(record)
    _emit(args, record, report.summary_lines(record))
    return 0 if record.ok else 1


def run_abandon(args: argparse.Namespace) -> int:
    """`humangov rollout abandon RUN_ID`: refused while a live runner holds it (its lease)."""
    platform = open_platform(args)
    record = Records(platform.rollout_records()).abandon(
        args.abandon_id, platform.current_version, cli_actor()
    )
    _emit(args, record, report.summary_lines(record))
    return 0


def _new(args: argparse.Namespace, platform: Platform, say: Any) -> RolloutRecord:
    states = parse_states(args.states, platform.deployed_states)
    if args.domain and STATE_PLACEHOLDER not in args.domain and len(states) > 1:
        raise ConfigError(
            f"--domain {args.domain} would name {len(states)} states alike: put {STATE_PLACEHOLDER} in it "
            f"(--domain {STATE_PLACEHOLDER}.{args.domain.split('.', 1)[-1]})"
        )
    current = current_versions(platform, states, args.max_parallel)
    plan = make_plan(
        states, current, canary=args.canary, wave_size=args.wave_size, create_missing=args.create_missing
    )
    if args.dry_run:
        given = args.app_image and args.nginx_image
        version = Version(app=args.app_image, nginx=args.nginx_image) if given else TO_BE_BUILT
    elif not plan.waves:
        raise ConfigError(
            "no state to roll out to: " + "; ".join(f"{s} {w}" for s, w in plan.skipped.items())
        )
    else:
        if args.create_missing and not args.skip_preflight:
            guard(platform, plan.states, say)  # before any image is pushed or any state is made
        # Built (and pushed) once here, before any state, so every state gets the very same images.
        version = platform.prepare_version(
            progress=(lambda m: say(f"  .. {m}")) if args.json else print_progress
        )
    return new_record(
        new_rollout_id(), platform.name, version, plan, current, gate=args.gate, rollback=args.rollback
    )


def current_versions(platform: Platform, states: list[str], parallel: int) -> dict[str, Version | None]:
    """Each state's version now, looked up `parallel` at a time (read-only)."""
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(states)))) as pool:
        return dict(zip(states, pool.map(platform.current_version, states), strict=True))


def _resumable(records: Records, run_id: str, platform: str) -> RolloutRecord:
    record = records.load(run_id)
    if record is None:
        raise ConfigError(f"no rollout {run_id} on the {platform} platform")
    if record.platform != platform:
        raise ConfigError(
            f"rollout {run_id} ran on the {record.platform} platform; pass --platform {record.platform}"
        )
    return record


def _emit(
    args: argparse.Namespace, record: RolloutRecord, lines: list[str], *, dry_run: bool = False
) -> None:
    if args.json:
        print(json.dumps(report.to_json(record, dry_run=dry_run), indent=2))
    else:
        print("\n".join(lines))


def _printer(stream: Any) -> Any:
    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    return say
