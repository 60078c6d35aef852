"""`humangov push --region R`: build if needed, push both images to ECR, print their digests."""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy.aws.ecr import DEFAULT_KEEP_LAST, push_images
from humangov_deploy.build.images import ensure_images
from humangov_deploy.clients import AwsClients
from humangov_deploy.progress import Reporter


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "push",
        parents=[common],
        help="push the images to ECR (repositories created if missing) and print their digests",
    )
    parser.add_argument(
        "--base",
        choices=("local", "official"),
        default=None,
        help="official: the Dockerfiles' default bases (pull them first); local: Debian bases made here "
        "with mmdebstrap (default: official when both are present in the engine, else local)",
    )
    parser.add_argument(
        "--keep-last", type=int, default=DEFAULT_KEEP_LAST, help="images each repository keeps (lifecycle)"
    )
    parser.add_argument("--json", action="store_true", help="print the digests as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Reporter.for_args(args) as progress:
        images = ensure_images(base=args.base, progress=progress)
        clients = AwsClients(region=args.region, endpoint_url=args.endpoint_url)
        digests = push_images(clients, images, progress=progress, keep_last=args.keep_last)
    if args.json:
        print(json.dumps(digests))
    else:
        for name, ref in digests.items():
            print(f"{name}: {ref}")
    return 0
