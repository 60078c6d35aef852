"""AWS failures as the app's storage errors: one wrapper for every module that calls boto3.

`aws_errors("PutItem")` turns botocore's errors into `StorageError` (503); with `conflict=True`, a failed
write condition (ConditionalCheckFailedException) is a `ConflictError` (409) instead: the record changed
meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from humangov.storage import ConflictError, StorageError

CONDITION_FAILED = "ConditionalCheckFailedException"


@contextmanager
def aws_errors(operation: str, *, conflict: bool = False) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if conflict and code == CONDITION_FAILED:
            raise ConflictError(f"{operation}: the record changed meanwhile") from exc
        raise StorageError(f"{operation} failed: {code or exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"{operation} failed: {exc}") from exc
