"""`humangov`: one entry point; each subcommand lives in `humangov_deploy/commands/<name>.py`.

A command module exposes `register(subparsers, common)`, adding its parser and `set_defaults(func=...)`;
`func(args) -> int` is the exit code. Any HumangovError becomes one clear line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from humangov_deploy.errors import HumangovError
from humangov_deploy.progress import add_verbose_argument

# Order is the order of `humangov --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "build",
    "push",
    "data",
    "dev",
    "preflight",
    "deploy",
    "rollout",
    "status",
    "logs",
    "verify",
    "bench",
    "destroy",
    "sweep",
    "users",
)


def common_parser() -> argparse.ArgumentParser:
    """Global options, accepted after any subcommand (`humangov deploy --state texas --region us-west-2`)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="AWS region (default: $AWS_REGION, else us-east-1)",
    )
    common.add_argument(
        "--endpoint-url",
        default=None,
        help="send every AWS call to this AWS-compatible endpoint (for example a moto server)",
    )
    common.add_argument("--run-id", default=None, help="tag resources with this run id (default: generated)")
    add_verbose_argument(common)
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="humangov",
        description="Ship, run, verify and tear down HumanGov, one US state (a silo tenant) at a time.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_parser()
    for name in COMMAND_MODULES:
        importlib.import_module(f"humangov_deploy.commands.{name}").register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HumangovError as exc:
        print(f"humangov {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except NoCredentialsError:
        print(
            f"humangov {args.command}: error: no AWS credentials found; configure them (aws configure, "
            "AWS_PROFILE, or an assumed role), or point --endpoint-url at an emulator",
            file=sys.stderr,
        )
        return 1
    except (ClientError, BotoCoreError) as exc:
        # Modules wrap the AWS errors they expect in AwsCallError; this is the net for the rest,
        # so a user sees AWS's own message rather than a traceback.
        print(f"humangov {args.command}: AWS error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"humangov {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
