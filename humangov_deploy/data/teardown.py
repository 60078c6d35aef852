"""Removing and listing states' data by name, whoever made it (`humangov data create` or Terraform).

A state's tables are `humangov-<state>-dynamodb` and `humangov-<state>-audit`, its bucket
`humangov-<state>-s3-xxxx`; all are found by those names, not by a tag or a Terraform state file, so a
runner that never saw the deploy (a fresh CI runner, the sweep job) still finds and removes them,
including a stray second bucket.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from humangov_deploy import appsrc
from humangov_deploy.aws.call import error_code, error_message
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import bucket_tags, set_deletion_protection
from humangov_deploy.data.state import (
    DEFAULT_TIMEOUT,
    TABLE_BUSY,
    Progress,
    bucket_state,
    describe_table,
    list_state_buckets,
    partition_of,
    settled,
    state_buckets,
    state_tables,
    table_state,
    wait_for_table,
)
from humangov_deploy.errors import AwsCallError
from humangov_deploy.waits import Deadline, Sleep

KIND_TABLE = "dynamodb:table"
KIND_BUCKET = "s3:bucket"
# DeleteBucket right after the last DeleteObjects can still see objects (a writer racing the teardown,
# or the listing lagging): empty again and retry.
BUCKET_NOT_EMPTY = frozenset({"BucketNotEmpty", "OperationAborted"})
# How many failed keys an error message names before it says "and N more".
KEYS_SHOWN = 10


def _quiet(_: str) -> None:
    pass


def _error(service: str, operation: str, exc: ClientError) -> AwsCallError:
    return AwsCallError(service, operation, error_code(exc), error_message(exc))


def destroy_state_data(
    clients: AwsClients,
    state: str,
    *,
    progress: Progress = _quiet,
    deadline: Deadline | None = None,
    sleep: Sleep = time.sleep,
) -> bool:
    """Remove every bucket of the state (each object version first) and its two tables (records, audit),
    lifting their deletion protection first. Returns whether anything existed."""
    state = appsrc.validate_state(state)
    deadline = deadline if deadline is not None else Deadline(DEFAULT_TIMEOUT)
    removed = False
    for bucket in state_buckets(clients, state):
        progress(f"emptying and removing bucket {bucket}")
        remove_bucket(clients, bucket, deadline=deadline, sleep=sleep, progress=progress)
        removed = True
    for table in state_tables(state):  # the records table, then the audit trail's
        if describe_table(clients, table) is not None:
            remove_table(clients, table, deadline=deadline, sleep=sleep, progress=progress)
            removed = True
    return removed


def remove_table(
    clients: AwsClients, table: str, *, deadline: Deadline, sleep: Sleep, progress: Progress = _quiet
) -> None:
    """Delete the table, lifting its deletion protection first (Terraform's module and deploys set it).

    DeleteTable only starts the deletion: the table stays DELETING until DynamoDB is done
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html). A table found
    DELETING (an interrupted destroy, a sweep beside it) is already going: only its end is awaited, and a
    second DeleteTable answered with ResourceInUseException while it is DELETING counts as done.
    """
    dynamodb = clients.dynamodb
    described = describe_table(clients, table)
    if described is None:
        return
    if described.get("TableStatus") == "DELETING":
        progress(f"table {table} is already being deleted; waiting for it to go")
        wait_for_table(clients, table, gone=True, deadline=deadline)
        return
    # A table still CREATING or UPDATING can be neither updated nor deleted: let it settle first.
    if described.get("TableStatus") != "ACTIVE":
        wait_for_table(clients, table, gone=False, deadline=deadline)
        described = describe_table(clients, table) or {}
    if described.get("DeletionProtectionEnabled"):
        progress(f"lifting deletion protection of table {table}")
        set_deletion_protection(clients, table, False, deadline=deadline, sleep=sleep, progress=progress)
    progress(f"removing table {table}")

    def delete() -> None:
        try:
            dynamodb.delete_table(TableName=table)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFoundException":
                return
            now = describe_table(clients, table) if code in TABLE_BUSY else {}
            if now is None or (now or {}).get("TableStatus") == "DELETING":
                return  # gone meanwhile, or another DeleteTable got there first: it is going
            raise

    settled(
        delete,
        service="dynamodb",
        operation="DeleteTable",
        transient=TABLE_BUSY,
        deadline=deadline,
        sleep=sleep,
        progress=progress,
    )
    wait_for_table(clients, table, gone=True, deadline=deadline)


def remove_bucket(
    clients: AwsClients, bucket: str, *, deadline: Deadline, sleep: Sleep, progress: Progress = _quiet
) -> None:
    s3 = clients.s3

    def empty_and_delete() -> None:
        empty_bucket(clients, bucket)
        try:
            s3.delete_bucket(Bucket=bucket)
        except ClientError as exc:
            if error_code(exc) != "NoSuchBucket":
                raise

    settled(
        empty_and_delete,
        service="s3",
        operation="DeleteBucket",
        transient=BUCKET_NOT_EMPTY,
        deadline=deadline,
        sleep=sleep,
        progress=progress,
        hint="something kept writing to the bucket while it was being emptied; stop it and run it again",
    )


def empty_bucket(clients: AwsClients, bucket: str, *, page_size: int = 1000) -> int:
    """Delete every object version and delete marker (a versioned bucket cannot be removed otherwise).

    ListObjectVersions answers at most 1,000 versions and delete markers per page, and DeleteObjects takes
    at most 1,000 keys and reports the keys it could not delete in `Errors` with a 200 answer
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). So: every page is listed
    first (deleting under the listing's markers would make an emulator lose its place), then deleted in
    batches of 1,000 (`page_size`: smaller in tests), and any key left is an error naming it.
    """
    s3 = clients.s3
    keys: list[dict[str, str]] = []
    try:
        listing = s3.get_paginator("list_object_versions")
        for page in listing.paginate(Bucket=bucket, PaginationConfig={"PageSize": page_size}):
            keys += [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucket":
            return 0
        raise _error("s3", "ListObjectVersions", exc) from exc
    for start in range(0, len(keys), page_size):
        batch = keys[start : start + page_size]
        try:
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        except ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                return start
            raise _error("s3", "DeleteObjects", exc) from exc
        failed = answer.get("Errors") or []
        if failed:
            raise _undeleted(bucket, failed)
    return len(keys)


def _undeleted(bucket: str, failed: list[dict[str, Any]]) -> AwsCallError:
    shown = [f"{e.get('Key')} (version {e.get('VersionId')}): {e.get('Code')}" for e in failed[:KEYS_SHOWN]]
    more = f" and {len(failed) - KEYS_SHOWN} more" if len(failed) > KEYS_SHOWN else ""
    return AwsCallError(
        "s3",
        "DeleteObjects",
        str(failed[0].get("Code", "Unknown")),
        f"{len(failed)} object version(s) of {bucket} were not deleted: {'; '.join(shown)}{more}",
    )


# --- what exists, by name -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataResource:
    """A table or bucket that by its name belongs to a state, with its ARN, AWS's time and its tags."""

    state: str
    kind: str  # KIND_TABLE or KIND_BUCKET
    name: str
    arn: str
    created: datetime | None  # CreationDateTime of the table, CreationDate of the bucket
    tags: dict[str, str] = field(default_factory=dict)


def list_state_data(clients: AwsClients, *, partition: str | None = None) -> list[DataResource]:
    """Every state's table and bucket in the clients' region, whatever made or tagged them.

    Buckets' ARNs carry the partition of the tables' ARNs, else of the caller's identity (or `partition`).
    """
    found: list[DataResource] = []
    dynamodb = clients.dynamodb
    try:
        names = [
            name
            for page in dynamodb.get_paginator("list_tables").paginate()
            for name in page.get("TableNames", [])
            if table_state(name)
        ]
    except ClientError as exc:
        raise _error("dynamodb", "ListTables", exc) from exc
    for name in names:
        described = describe_table(clients, name)
        if described is None:  # deleted between the listing and now
            continue
        arn = str(described["TableArn"])
        partition = partition or partition_of(arn)
        found.append(
            DataResource(
                state=str(table_state(name)),
                kind=KIND_TABLE,
                name=name,
                arn=arn,
                created=described.get("CreationDateTime"),
                tags=_table_tags(clients, arn),
            )
        )
    buckets = list_state_buckets(clients)
    if buckets and partition is None:
        partition = _caller_partition(clients)
    for bucket in buckets:
        name = str(bucket["Name"])
        try:
            tags = bucket_tags(clients, name)
        except AwsCallError as exc:
            if exc.code == "NoSuchBucket":  # deleted between the listing and now
                continue
            raise
        found.append(
            DataResource(
                state=str(bucket_state(name)),
                kind=KIND_BUCKET,
                name=name,
                arn=str(bucket.get("BucketArn") or f"arn:{partition}:s3:::{name}"),
                created=bucket.get("CreationDate"),
                tags=tags,
            )
        )
    return found


def _table_tags(clients: AwsClients, arn: str) -> dict[str, str]:
    dynamodb = clients.dynamodb
    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"ResourceArn": arn}
    try:
        while True:
            answer = dynamodb.list_tags_of_resource(**kwargs)
            tags.update({t["Key"]: t["Value"] for t in answer.get("Tags", [])})
            if not answer.get("NextToken"):
                return tags
            kwargs["NextToken"] = answer["NextToken"]
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return tags
        raise _error("dynamodb", "ListTagsOfResource", exc) from exc


def _caller_partition(clients: AwsClients) -> str:
    try:
        return partition_of(str(clients.sts.get_caller_identity()["Arn"]))
    except ClientError as exc:
        raise _error("sts", "GetCallerIdentity", exc) from exc
