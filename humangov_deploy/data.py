"""A state's data (DynamoDB table + S3 bucket) created with boto3, on AWS or any AWS-compatible endpoint.

The same schema as Terraform's module (both come from the app's `schema.py`), and the same hardening of
the bucket, so `humangov data create` is a faithful stand-in where Terraform cannot run (emulators,
accounts without Terraform). Idempotent: an existing table or bucket of the state is kept, not replaced.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError
from humangov_deploy.naming import format_time

Progress = Callable[[str], None]
MANAGED_BY = "humangov"
NONCURRENT_VERSION_DAYS = 30


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


def find_bucket(clients: AwsClients, state: str) -> str | None:
    """The state's bucket: the one named `humangov-<state>-s3-xxxx` (random suffix, as Terraform's)."""
    prefix = appsrc.schema().bucket_prefix(state)
    suffix_length = appsrc.schema().BUCKET_SUFFIX_LENGTH
    try:
        buckets = clients.s3.list_buckets().get("Buckets", [])
    except ClientError as exc:
        raise _error("s3", "ListBuckets", exc) from exc
    names = sorted(
        b["Name"]
        for b in buckets
        if b["Name"].startswith(prefix) and len(b["Name"]) == len(prefix) + suffix_length
    )
    if len(names) > 1:
        raise ConfigError(f"state {state} has several buckets ({', '.join(names)}); remove the stray ones")
    return names[0] if names else None


def table_exists(clients: AwsClients, table: str) -> bool:
    try:
        clients.dynamodb.describe_table(TableName=table)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return False
        raise _error("dynamodb", "DescribeTable", exc) from exc
    return True


def find_state_data(clients: AwsClients, state: str) -> StateData | None:
    """The state's data if both table and bucket exist, else None."""
    table = appsrc.schema().table_name(state)
    bucket = find_bucket(clients, state)
    if bucket is None or not table_exists(clients, table):
        return None
    return StateData(state=state, table=table, bucket=bucket, region=clients.region)


def create_state_data(
    clients: AwsClients,
    state: str,
    *,
    run_id: str | None = None,
    progress: Progress = _quiet,
    tls_only: bool | None = None,
    created_at: datetime | None = None,
) -> StateData:
    """Create (or converge) the state's table and bucket.

    `tls_only` adds the bucket policy that refuses non-TLS requests. By default it follows the endpoint:
    on a plain-http endpoint (an emulator) such a policy would refuse every request the app makes.
    """
    state = appsrc.validate_state(state)
    if tls_only is None:
        tls_only = not (clients.endpoint_url or "").startswith("http://")
    tags = state_tags(state, run_id, created_at)
    table = _ensure_table(clients, state, tags, progress)
    bucket = _ensure_bucket(clients, state, tags, progress, tls_only)
    return StateData(state=state, table=table, bucket=bucket, region=clients.region)


def _ensure_table(clients: AwsClients, state: str, tags: dict[str, str], progress: Progress) -> str:
    schema = appsrc.schema()
    table = schema.table_name(state)
    dynamodb = clients.dynamodb
    if table_exists(clients, table):
        progress(f"table {table} exists")
    else:
        progress(f"creating table {table}")
        kwargs: dict[str, Any] = schema.create_table_kwargs(table)
        kwargs["SSESpecification"] = {"Enabled": True}
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        try:
            dynamodb.create_table(**kwargs)
        except ClientError as exc:
            # Another run created it between our check and our call: that is the table we want.
            if _code(exc) != "ResourceInUseException":
                raise _error("dynamodb", "CreateTable", exc) from exc
    dynamodb.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    try:
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    except ClientError as exc:
        raise _error("dynamodb", "UpdateContinuousBackups", exc) from exc
    return table


def _new_bucket_name(state: str) -> str:
    schema = appsrc.schema()
    alphabet = string.ascii_lowercase
    return schema.bucket_prefix(state) + "".join(
        secrets.choice(alphabet) for _ in range(schema.BUCKET_SUFFIX_LENGTH)
    )


def _ensure_bucket(
    clients: AwsClients, state: str, tags: dict[str, str], progress: Progress, tls_only: bool
) -> str:
    s3 = clients.s3
    bucket = find_bucket(clients, state)
    if bucket:
        progress(f"bucket {bucket} exists")
        tags = {**tags, **_origin_tags(clients, bucket)}
    else:
        bucket = _new_bucket_name(state)
        progress(f"creating bucket {bucket}")
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if clients.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
        try:
            s3.create_bucket(**kwargs)
        except ClientError as exc:
            raise _error("s3", "CreateBucket", exc) from exc
    _harden_bucket(clients, bucket, tags, tls_only)
    return bucket


def _origin_tags(clients: AwsClients, bucket: str) -> dict[str, str]:
    try:
        tag_set = clients.s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except ClientError as exc:
        if _code(exc) == "NoSuchTagSet":
            return {}
        raise _error("s3", "GetBucketTagging", exc) from exc
    return {t["Key"]: t["Value"] for t in tag_set if t["Key"] in ORIGIN_TAGS}


def _harden_bucket(clients: AwsClients, bucket: str, tags: dict[str, str], tls_only: bool) -> None:
    """The same settings as Terraform's module; each call is a PUT, so re-running converges."""
    s3 = clients.s3
    calls: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
        (
            "PutPublicAccessBlock",
            s3.put_public_access_block,
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                }
            },
        ),
        (
            "PutBucketOwnershipControls",
            s3.put_bucket_ownership_controls,
            {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}},
        ),
        (
            "PutBucketEncryption",
            s3.put_bucket_encryption,
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                }
            },
        ),
        ("PutBucketVersioning", s3.put_bucket_versioning, {"VersioningConfiguration": {"Status": "Enabled"}}),
        (
            "PutBucketLifecycleConfiguration",
            s3.put_bucket_lifecycle_configuration,
            {
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "ID": "expire-old-versions",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    ]
                }
            },
        ),
        (
            "PutBucketTagging",
            s3.put_bucket_tagging,
            {"Tagging": {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}},
        ),
    ]
    if tls_only:
        calls.append(
            ("PutBucketPolicy", s3.put_bucket_policy, {"Policy": json.dumps(tls_only_policy(bucket))})
        )
    for operation, call, kwargs in calls:
        try:
            call(Bucket=bucket, **kwargs)
        except ClientError as exc:
            raise _error("s3", operation, exc) from exc


def tls_only_policy(bucket: str) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def destroy_state_data(clients: AwsClients, state: str, *, progress: Progress = _quiet) -> bool:
    """Remove the state's bucket (every object version first) and table. Returns whether anything existed."""
    state = appsrc.validate_state(state)
    removed = False
    bucket = find_bucket(clients, state)
    if bucket:
        progress(f"emptying and removing bucket {bucket}")
        empty_bucket(clients, bucket)
        try:
            clients.s3.delete_bucket(Bucket=bucket)
        except ClientError as exc:
            if _code(exc) != "NoSuchBucket":
                raise _error("s3", "DeleteBucket", exc) from exc
        removed = True
    table = appsrc.schema().table_name(state)
    if table_exists(clients, table):
        progress(f"removing table {table}")
        try:
            clients.dynamodb.delete_table(TableName=table)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise _error("dynamodb", "DeleteTable", exc) from exc
        clients.dynamodb.get_waiter("table_not_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        removed = True
    return removed


def empty_bucket(clients: AwsClients, bucket: str) -> int:
    """Delete every object version and delete marker (a versioned bucket cannot be removed otherwise)."""
    s3 = clients.s3
    deleted = 0
    paginator = s3.get_paginator("list_object_versions")
    try:
        for page in paginator.paginate(Bucket=bucket):
            keys = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            # DeleteObjects takes at most 1000 keys, which is also the page size of the listing.
            for start in range(0, len(keys), 1000):
                batch = keys[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                deleted += len(batch)
    except ClientError as exc:
        if _code(exc) == "NoSuchBucket":
            return deleted
        raise _error("s3", "DeleteObjects", exc) from exc
    return deleted
