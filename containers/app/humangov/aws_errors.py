"""AWS failures as the app's storage errors: one wrapper for every module that calls boto3.

`aws_errors("PutItem")` turns botocore's errors into `StorageError` (503); with `conflict=True`, a failed
write condition (ConditionalCheckFailedException) is a `ConflictError` (409) instead: the record changed
meanwhile, and so is a transaction canceled by its first item's condition (the record's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from humangov.storage import ConflictError, StorageError

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"


@contextmanager
def aws_errors(operation: str, *, conflict: bool = False) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if conflict and (code == CONDITION_FAILED or _first_condition_failed(exc.response)):
            raise ConflictError(f"{operation}: the record changed meanwhile") from exc
        raise StorageError(f"{operation} failed: {code or exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"{operation} failed: {exc}") from exc


def _first_condition_failed(response: dict[str, Any]) -> bool:
    """A transaction canceled because of its first item (the record's, by convention: the audit entry's,
    second, never fails on a fresh key): its condition failed, or another write was changing it."""
    if response.get("Error", {}).get("Code") != TRANSACTION_CANCELED:
        return False
    reasons = response.get("CancellationReasons") or []
    # TransactionConflict: another transaction was changing the record at that moment (AWS, not moto).
    return bool(reasons) and reasons[0].get("Code") in ("ConditionalCheckFailed", "TransactionConflict")
