"""A state's data (DynamoDB tables + S3 bucket) on AWS or any AWS-compatible endpoint: names, tags, waits.

The same schema as Terraform's module (both come from the app's `schema.py`), and the same hardening of
the table and bucket, so `humangov data create` is a faithful stand-in where Terraform cannot run
(emulators, accounts without Terraform). Idempotent: an existing table or bucket of the state is kept and
converged, not replaced. Tables and buckets are found by their names, whoever made them (this module or
Terraform), so removal and adoption never depend on a Terraform state file.

Every wait (a table turning ACTIVE or going away, a call AWS refuses on a resource it is still making)
runs under one `Deadline`, with an injectable sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError, DeployTimeout
from humangov_deploy.naming import format_time
from humangov_deploy.waits import Deadline, Poll, Sleep, poll_until

Progress = Callable[[str], None]
MANAGED_BY = "humangov"
# The same lifecycle as Terraform's module (its `noncurrent_version_expiration_days` default), so data
# adopted from Terraform keeps its rule; a unit test compares the two.
NONCURRENT_VERSION_DAYS = 90
LIFECYCLE_RULE_ID = "expire-noncurrent-versions"

DEFAULT_TIMEOUT = 900.0  # seconds for one create or destroy when the caller passes no deadline
TABLE_POLL_DELAY = 2  # seconds between the DynamoDB waiters' DescribeTable calls
SETTLE_INTERVAL = 3.0  # seconds between tries of a call AWS refuses while it is still making a resource
SETTLE_WINDOW = 300.0  # at most this long per such call (and never past the operation's deadline)

# UpdateContinuousBackups answers this for a while after the table turns ACTIVE (API reference, Errors:
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html).
PITR_NOT_READY = frozenset({"ContinuousBackupsUnavailableException"})
# A new bucket's configuration is eventually consistent, so the calls right after CreateBucket can answer
# NoSuchBucket (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel);
# OperationAborted (409) is "a conflicting operation is in progress, try again"
# (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList).
NEW_BUCKET_NOT_READY = frozenset({"NoSuchBucket", "OperationAborted"})
BUCKET_BUSY = frozenset({"OperationAborted"})
# UpdateTable/DeleteTable refuse a table that is CREATING or UPDATING with ResourceInUseException
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html).
TABLE_BUSY = frozenset({"ResourceInUseException"})


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class StateData:
    state: str
    table: str
    bucket: str
    region: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


# Tags that record a resource's origin: a re-run keeps the first run's values (sweep ages by them).
ORIGIN_TAGS = ("humangov:created-at", "humangov:run-id")


def state_tags(state: str, run_id: str | None, created_at: datetime | None = None) -> dict[str, str]:
    created_at = created_at or datetime.now(UTC)
    tags = {
        "humangov:state": state,
        "humangov:managed-by": MANAGED_BY,
        "humangov:created-at": format_time(created_at),
    }
    if run_id:
        tags["humangov:run-id"] = run_id
    return tags


def _error(service: str, operation: str, exc: ClientError) -> AwsCallError:
    err = exc.response.get("Error", {})
    return AwsCallError(service, operation, str(err.get("Code", "Unknown")), str(err.get("Message", "")))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def partition_of(arn: str) -> str:
    """`arn:aws-us-gov:dynamodb:...` -> `aws-us-gov` (GovCloud, China); `aws` for anything else."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def _deadline(deadline: Deadline | None) -> Deadline:
    return deadline if deadline is not None else Deadline(DEFAULT_TIMEOUT)


def settled(
    call: Callable[[], Any],
    *,
    service: str,
    operation: str,
    transient: frozenset[str],
    deadline: Deadline,
    sleep: Sleep,
    progress: Progress = _quiet,
    hint: str = "",
) -> Any:
    """`call()`, tried again while AWS answers one of the `transient` codes; any other error fails at once.

    Bounded by SETTLE_WINDOW and by the operation's deadline; the sleep is injected.
    """
    window = Deadline(min(SETTLE_WINDOW, deadline.remaining()), deadline.clock)
    tries = [0]

    def attempt() -> Poll[Any]:
        tries[0] += 1
        try:
            return Poll(done=True, state=call())
        except ClientError as exc:
            code = _code(exc)
            if code not in transient:
                raise _error(service, operation, exc) from exc
            progress(f"{service} {operation}: {code} (try {tries[0]}), trying again")
            return Poll(done=False, state=code)

    return poll_until(
        attempt,
        timeout=window,
        interval=SETTLE_INTERVAL,
        what=f"{service} {operation} to be accepted",
        sleep=sleep,
        hint=hint or "AWS was still settling a resource it had just made; run the command again",
    )


def wait_for_table(clients: AwsClients, table: str, *, gone: bool, deadline: Deadline) -> None:
    """DynamoDB's own waiter (table ACTIVE, or table gone), polling until the deadline and not longer."""
    dynamodb = clients.dynamodb
    waiter = dynamodb.get_waiter("table_not_exists") if gone else dynamodb.get_waiter("table_exists")
    try:
        waiter.wait(TableName=table, WaiterConfig=deadline.waiter_config(TABLE_POLL_DELAY))
    except WaiterError as exc:
        response: Any = exc.last_response or {}
        error = response.get("Error") or {}
        code = str(error.get("Code", ""))
        if code and code != "ResourceNotFoundException":
            raise AwsCallError("dynamodb", "DescribeTable", code, str(error.get("Message", ""))) from exc
        status = response.get("Table", {}).get("TableStatus") or ("no table" if code else "no answer")
        what = f"table {table} to be {'deleted' if gone else 'ACTIVE'}"
        raise DeployTimeout(
            what, status, "DynamoDB may still be working on it; run the command again"
        ) from exc


# --- finding a state's data by name ---------------------------------------------------------------------


def bucket_state(name: str) -> str | None:
    """The state whose bucket this is by name (`humangov-<state>-s3-xxxx`), or None."""
    schema = appsrc.schema()
    for state in appsrc.states():
        prefix = schema.bucket_prefix(state)
        if name.startswith(prefix) and len(name) == len(prefix) + schema.BUCKET_SUFFIX_LENGTH:
            return state
    return None


def table_state(name: str) -> str | None:
    """The state whose table this is by name (`humangov-<state>-dynamodb` or `-audit`), or None."""
    return next((s for s in appsrc.states() if name in state_tables(s)), None)


def state_tables(state: str) -> tuple[str, str]:
    """The state's two tables: its records (with users, tokens, throttle counters) and its audit trail."""
    schema = appsrc.schema()
    return schema.table_name(state), schema.audit_table_name(state)


def list_state_buckets(clients: AwsClients, state: str | None = None) -> list[dict[str, Any]]:
    """ListBuckets entries of every state's bucket (or only `state`'s) in the clients' region, whoever
    made them."""
    region = clients.region
    prefix = appsrc.schema().bucket_prefix(state) if state else "humangov-"
    found: list[dict[str, Any]] = []
    try:
        # Paginated: AWS recommends it, and only paginated answers carry each bucket's region
        # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html). Emulators that
        # leave BucketRegion out are taken as one region. `Prefix` "limits the response to bucket names
        # that begin with the specified bucket name prefix" (same page), so one state's lookup reads its
        # own buckets, not the fleet's; the names are still checked here, for endpoints that ignore it.
        for page in clients.s3.get_paginator("list_buckets").paginate(Prefix=prefix):
            for bucket in page.get("Buckets", []):
                owner = bucket_state(bucket["Name"])
                if (
                    owner
                    and (state is None or owner == state)
                    and bucket.get("BucketRegion", region) == region
                ):
                    found.append(bucket)
    except ClientError as exc:
        raise _error("s3", "ListBuckets", exc) from exc
    return sorted(found, key=lambda b: str(b["Name"]))


def state_buckets(clients: AwsClients, state: str) -> list[str]:
    """Every bucket named as the state's (normally one; more after a duplicated deploy)."""
    return [b["Name"] for b in list_state_buckets(clients, state)]


def find_bucket(clients: AwsClients, state: str) -> str | None:
    """The state's bucket: the one named `humangov-<state>-s3-xxxx` (random suffix, as Terraform's)."""
    names = state_buckets(clients, state)
    if len(names) > 1:
        raise ConfigError(f"state {state} has several buckets ({', '.join(names)}); remove the stray ones")
    return names[0] if names else None


def describe_table(clients: AwsClients, table: str) -> dict[str, Any] | None:
    try:
        return dict(clients.dynamodb.describe_table(TableName=table)["Table"])
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise _error("dynamodb", "DescribeTable", exc) from exc


def table_exists(clients: AwsClients, table: str) -> bool:
    return describe_table(clients, table) is not None


def find_state_data(clients: AwsClients, state: str) -> StateData | None:
    """The state's data if both table and bucket exist, else None."""
    table = appsrc.schema().table_name(state)
    bucket = find_bucket(clients, state)
    if bucket is None or not table_exists(clients, table):
        return None
    return StateData(state=state, table=table, bucket=bucket, region=clients.region)


def any_state_data(clients: AwsClients, state: str) -> bool:
    """Whether any table or bucket of the state exists, whoever made it."""
    return any(table_exists(clients, t) for t in state_tables(state)) or bool(state_buckets(clients, state))
