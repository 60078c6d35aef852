"""Turning botocore's ClientError into the library's AwsCallError, in one place for every wrapper.

Wrappers call `clients.<service>.<operation>(...)` literally (a tool derives the deploy role's policy
from those call sites) inside `with aws_call(service, Operation, ignore=...)`. Codes in `ignore` are
expected outcomes (NotFound on a delete, AlreadyExists on a create) and are swallowed on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

from humangov_deploy.errors import AwsCallError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


class AwsError(AwsCallError):
    """AwsCallError that keeps the service's message apart, for callers that must read it."""

    def __init__(self, service: str, operation: str, code: str, message: str = "") -> None:
        super().__init__(service, operation, code, message)
        self.message = message

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING_CODES


@contextmanager
def aws_call(service: str, operation: str, *, ignore: tuple[str, ...] = ()) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        if code in ignore:
            return
        raise AwsError(service, operation, code, error_message(exc)) from exc
