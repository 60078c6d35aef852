"""`humangov deploy --state S [--platform local|aws]`: bring a state up and wait until it serves.

Also home of the options every stack command shares (`--state`, `--platform`, `--timeout`, `--json`)
and of `open_platform`, used by status, verify, destroy and sweep alike.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.commands.preflight_check import guard
from humangov_deploy.platforms import PLATFORMS, get_platform
from humangov_deploy.platforms.base import Platform, Progress, StackStatus, print_progress
from humangov_deploy.progress import Reporter

DEFAULT_PLATFORM = "local"
DEPLOY_TIMEOUT = 1200.0


def add_stack_arguments(
    parser: argparse.ArgumentParser, *, timeout: float | None, state: str = "required"
) -> None:
    """--state (`state`: "required", "optional" for commands with another way to name states, or "none"),
    --platform, --timeout when `timeout` is given, and --json."""
    if state != "none":
        parser.add_argument(
            "--state", required=state == "required", help="US state slug, such as california or new-york"
        )
    parser.add_argument(
        "--platform",
        choices=sorted(PLATFORMS),
        default=DEFAULT_PLATFORM,
        help=f"where the state runs (default: {DEFAULT_PLATFORM})",
    )
    if timeout is not None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=timeout,
            metavar="SECONDS",
            help=f"one deadline for the whole operation (default: {timeout:.0f})",
        )
    parser.add_argument("--json", action="store_true", help="print JSON on stdout instead of text")


def add_poll_interval(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--poll-interval", type=float, default=None, metavar="SECONDS", help=argparse.SUPPRESS)


def open_platform(args: argparse.Namespace) -> Platform:
    options = {k: v for k, v in vars(args).items() if k not in ("func", "platform")}
    return get_platform(args.platform, **options)


def progress_for(args: argparse.Namespace) -> Progress:
    """Plain progress lines for short commands; long ones use `Reporter.for_args(args)` (timed steps).

    With --json, stdout is for the JSON document only; progress is dropped (errors still go to stderr).
    """
    return (lambda _m: None) if getattr(args, "json", False) else print_progress


def print_status(args: argparse.Namespace, status: StackStatus, *, resources: bool = True) -> None:
    """The stack in text (or JSON). `resources`: also the platform's extras (ARNs, containers, networks);
    `deploy` leaves them to `humangov status`, so a first deploy's output stays short."""
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
        return
    print(f"state:    {status.state} ({status.platform}, {status.region or 'no region'})")
    print(f"url:      {status.url or '-'}")
    if status.address:
        print(f"address:  {status.address} (where the URL's name is served; checks connect here)")
    print(f"table:    {status.table or '-'}")
    print(f"bucket:   {status.bucket or '-'}")
    print(f"tasks:    {len(status.tasks)}")
    for task in status.tasks:
        print(f"  {task.id}  {task.status:<8} {task.az:<12} {'healthy' if task.healthy else 'not healthy'}")
    if status.listeners:
        shown = [
            f"{x.protocol}:{x.port} {x.action}" + (f" ({x.tls_policy})" if x.tls_policy else "")
            for x in status.listeners
        ]
        print(f"listeners: {', '.join(shown)}")
    if status.ca_bundle:
        print(f"ca:       {status.ca_bundle} (the local CA: trust it to browse without a warning)")
    for key, value in sorted(status.resources.items()) if resources else ():
        print(f"{key}: {_render(value)}")
    for warning in status.warnings:
        print(f"warning: {warning}")


def _render(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "deploy",
        parents=[common],
        help="bring a state up (idempotent) and wait until its tasks are healthy behind the load balancer",
    )
    add_stack_arguments(parser, timeout=DEPLOY_TIMEOUT)
    add_deploy_options(parser)
    parser.set_defaults(func=run)


def add_deploy_options(parser: argparse.ArgumentParser) -> None:
    """The options of one state's deploy; `rollout` takes them too and applies them to every state."""
    parser.add_argument("--desired-count", type=int, default=None, help="tasks to run (default: 2)")
    images = parser.add_argument_group("images")
    images.add_argument(
        "--base",
        choices=("local", "official"),
        default=None,
        help="base images to build from when building (default: local, see `humangov build`)",
    )
    images.add_argument(
        "--app-image", default=None, help="use this prebuilt app image URI (no build, no push)"
    )
    images.add_argument("--nginx-image", default=None, help="use this prebuilt nginx image URI")
    aws = parser.add_argument_group("aws platform")
    aws.add_argument(
        "--data",
        choices=("terraform", "boto3"),
        default=None,
        help="make the state's table and bucket with Terraform (default) or boto3 (emulators, no Terraform)",
    )
    aws.add_argument(
        "--wait",
        choices=("healthy", "stable", "none"),
        default=None,
        help="healthy (default): service stable and every target healthy; stable: the service only "
        "(emulators such as moto register no targets); none: do not wait",
    )
    aws.add_argument(
        "--log-retention-days", type=int, default=None, help="CloudWatch Logs retention (default: 14)"
    )
    aws.add_argument(
        "--certificate-arn",
        default=None,
        metavar="ARN",
        help="serve HTTPS:443 with this ACM certificate (TLS 1.2+) and redirect HTTP:80 to it; "
        "without it the state serves plain HTTP (a warning says so); a redeploy without it removes HTTPS",
    )
    aws.add_argument(
        "--skip-preflight",
        action="store_true",
        help="do not check quotas before deploying a state not deployed yet (see `humangov preflight`)",
    )
    add_domain_options(parser)
    add_poll_interval(aws)


def add_domain_options(parser: argparse.ArgumentParser) -> None:
    domain = parser.add_argument_group("domain (both platforms)")
    domain.add_argument(
        "--domain",
        default=None,
        metavar="NAME",
        help="serve the state as https://NAME (`{state}` stands for the state, for rollouts): the URL, "
        "verify and the rollout gate use NAME; aws: with --certificate-arn (a certificate for NAME); "
        "local: a name under .localhost, which the local CA certifies; remembered by the deployment",
    )
    domain.add_argument(
        "--hosted-zone-id",
        default=None,
        metavar="ZONE",
        help="aws: also UPSERT a Route 53 alias record NAME -> the load balancer in this hosted zone "
        "(destroy removes it)",
    )


def run(args: argparse.Namespace) -> int:
    state = appsrc.validate_state(args.state)
    platform = open_platform(args)
    if not args.skip_preflight:
        guard(platform, [state], progress_for(args))
    with Reporter.for_args(args) as progress:
        status = platform.deploy(state, timeout=args.timeout, progress=progress)
    print_status(args, status, resources=False)
    return 0
