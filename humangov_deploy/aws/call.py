"""Turning botocore's ClientError into the library's AwsCallError, in one place for every wrapper.

Wrappers call `clients.<service>.<operation>(...)` literally (a tool derives the deploy role's policy
from those call sites) inside `with aws_call(service, Operation, ignore=...)`. Codes in `ignore` are
expected outcomes (NotFound on a delete, AlreadyExists on a create) and are swallowed on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

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


T = TypeVar("T")

# What AWS answers, for a few seconds, about a resource it has just made (eventual consistency: "Eventual
# consistency in the Amazon EC2 API", https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
NOT_YET_VISIBLE = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.NotFound"})


def retry_not_yet_visible(
    call: Callable[[], T],
    *,
    sleep: Callable[[float], None],
    codes: frozenset[str] = NOT_YET_VISIBLE,
    attempts: int = 5,
    first_delay: float = 1.0,
    max_delay: float = 8.0,
) -> T:
    """`call()`, tried again (backing off, at most `attempts` times) while AWS does not yet see what it
    has just made; any other error, or the last attempt's, is raised."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except AwsError as exc:
            if exc.code not in codes or attempt == attempts:
                raise
            sleep(delay)
            delay = min(delay * 2, max_delay)
    raise AssertionError("unreachable")  # pragma: no cover
