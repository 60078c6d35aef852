"""`humangov build [--base local|official]`: build the app and nginx images on the local Docker engine."""

from __future__ import annotations

import argparse
import json
from typing import Any

from humangov_deploy.build.images import build_images, ensure_images, image_size
from humangov_deploy.progress import Reporter, add_verbose_argument


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build the app and nginx images (local bases from Debian packages, or the official ones)",
        description=(
            "Build humangov-app and humangov-nginx. --base local needs no registry: Debian bases made "
            "with mmdebstrap from the host's mirror (cached) and the app's wheels downloaded once; "
            "--base official builds FROM python:3.11-slim-bookworm and nginx:1.27-bookworm (pull them "
            "first). Without --base: official when both are in the engine, else local."
        ),
    )
    parser.add_argument(
        "--base",
        choices=("local", "official"),
        default=None,
        help="official: the Dockerfiles' default bases (pull them first); local: Debian bases made here "
        "with mmdebstrap (default: official when both are present in the engine, else local)",
    )
    parser.add_argument(
        "--if-missing", action="store_true", help="skip an image whose content-addressed tag already exists"
    )
    parser.add_argument("--revision", default=None, help="revision for the tag and label (default: git)")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    parser.add_argument("--json", action="store_true", help="print the tags as JSON")
    add_verbose_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    build = ensure_images if args.if_missing else build_images
    with Reporter.for_args(args, quiet=args.quiet) as progress:
        images = build(base=args.base, progress=progress, revision=args.revision)
    if args.json:
        print(json.dumps(images.as_dict()))
        return 0
    for name, ref in images.as_dict().items():
        print(f"{name}: {ref} ({image_size(ref) / 1e6:.0f} MB)")
    return 0
