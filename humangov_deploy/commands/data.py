"""`humangov data create|destroy --state S`: a state's table and bucket with the app's schema, via boto3."""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import DEFAULT_TIMEOUT, find_state_data
from humangov_deploy.data.teardown import destroy_state_data
from humangov_deploy.waits import Deadline


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "data",
        help="create or remove a state's DynamoDB table and S3 bucket (boto3, any AWS-compatible endpoint)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (
        ("create", "create the state's table and bucket (idempotent)"),
        ("destroy", "remove the state's table and bucket(s), every object included, whoever made them"),
        ("show", "print the state's table and bucket if they exist"),
    ):
        sub = actions.add_parser(action, help=text, parents=[common])
        sub.add_argument("--state", required=True, help="US state slug, such as california or new-york")
        sub.add_argument("--json", action="store_true", help="print JSON instead of text")
        sub.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help=f"seconds to wait for the table and bucket (default {DEFAULT_TIMEOUT:g})",
        )
        sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    state = appsrc.validate_state(args.state)
    clients = AwsClients(region=args.region, endpoint_url=args.endpoint_url)
    progress = (lambda _m: None) if args.json else (lambda m: print(f"  .. {m}", flush=True))
    if args.action == "create":
        data = create_state_data(
            clients, state, run_id=args.run_id, progress=progress, deadline=Deadline(args.timeout)
        )
        _print(args, data.to_json())
        return 0
    if args.action == "show":
        found = find_state_data(clients, state)
        if found is None:
            _print(args, {"state": state, "table": None, "bucket": None, "region": args.region})
            return 1
        _print(args, found.to_json())
        return 0
    removed = destroy_state_data(clients, state, progress=progress, deadline=Deadline(args.timeout))
    if args.json:
        print(json.dumps({"state": state, "removed": removed}))
    else:
        print(f"{state}: {'removed' if removed else 'nothing to remove'}")
    return 0


def _print(args: argparse.Namespace, payload: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(payload))
    else:
        print(f"state:  {payload['state']}\nregion: {payload['region']}")
        print(f"table:  {payload['table']}\nbucket: {payload['bucket']}")
