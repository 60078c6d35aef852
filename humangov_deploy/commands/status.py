"""`humangov status --state S [--json]`: what exists of a state, its tasks' AZs and health, its URL.

`humangov status --all`: one row per deployed state: its version (image tag), tasks running/healthy,
URL and last rollout (from the platform's rollout records).
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.deploy import add_stack_arguments, open_platform, print_status
from humangov_deploy.errors import ConfigError
from humangov_deploy.platforms.base import Platform
from humangov_deploy.rollout.record import Records, RolloutRecord
from humangov_deploy.rollout.report import table

PARALLEL = 8  # states looked at at once by --all (read-only calls)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("status", parents=[common], help="show what exists of a state's stack")
    add_stack_arguments(parser, timeout=None, state="optional")  # --state S or --all
    parser.add_argument("--all", action="store_true", help="one row per deployed state, with its version")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.all) == bool(args.state):
        raise ConfigError("pass exactly one of --state S and --all")
    if args.all:
        return run_all(args)
    status = open_platform(args).status(appsrc.validate_state(args.state))
    print_status(args, status)
    # Exit 3 ("not deployed") lets scripts tell an absent stack from an error (1).
    return 0 if status.exists else 3


def fleet_rows(platform: Platform) -> list[dict[str, Any]]:
    states = platform.deployed_states()
    records = Records(platform.rollout_records()).every()
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(states)))) as pool:
        return list(pool.map(lambda s: _row(platform, s, records), states))


def _row(platform: Platform, state: str, records: list[RolloutRecord]) -> dict[str, Any]:
    status = platform.status(state)
    version = platform.current_version(state)
    last = next((r for r in reversed(records) if state in r.outcomes), None)
    return {
        "state": state,
        "version": version.tag if version else None,
        "app_image": version.app if version else None,
        "tasks_running": sum(1 for t in status.tasks if t.status == "RUNNING"),
        "tasks_healthy": sum(1 for t in status.tasks if t.healthy),
        "url": status.url,
        "last_rollout": {
            "run_id": last.run_id,
            "status": last.status,
            "result": last.outcomes[state].result,
            "started": last.started,
        }
        if last
        else None,
    }


def run_all(args: argparse.Namespace) -> int:
    rows = fleet_rows(open_platform(args))
    if args.json:
        print(json.dumps(rows, indent=2))
    elif rows:
        lines: list[tuple[str, ...]] = [("state", "version", "running", "healthy", "url", "last rollout")]
        for r in rows:
            last = r["last_rollout"]
            lines.append(
                (
                    r["state"],
                    r["version"] or "-",
                    str(r["tasks_running"]),
                    str(r["tasks_healthy"]),
                    r["url"] or "-",
                    f"{last['run_id']} ({last['result']})" if last else "-",
                )
            )
        print("\n".join(table(lines)))
    else:
        print(f"no state is deployed on {args.platform}")
    return 0 if rows else 3
