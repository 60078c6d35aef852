"""Whether a platform can run here: a skip with the reason, or a failure where skipping is not allowed
(--require-live; the project adds CI's rule by overriding the `humangov_unavailable` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import pytest

Missing = Callable[[str], NoReturn]


def unavailable(reason: str, require: bool) -> NoReturn:
    """Skip with the reason, or fail under --require-live (a nightly run must never pass by skipping)."""
    if require:
        pytest.fail(f"{reason} (and --require-live was given)", pytrace=False)
    pytest.skip(reason)


def _docker() -> Any:
    import docker

    return docker.from_env(timeout=10)


def check_docker(missing: Missing, connect: Callable[[], Any] = _docker) -> None:
    """The local platform needs a Docker engine that answers, or `missing` says so."""
    try:
        connect().ping()
    except Exception as exc:
        missing(f"no Docker engine answers ({exc}); the local platform needs one")


def check_aws_credentials(missing: Missing) -> None:
    import boto3

    if boto3.session.Session().get_credentials() is None:
        missing(
            "no AWS credentials for the live suite on aws; "
            "run it on Docker with `--platform local`, or export AWS credentials"
        )
