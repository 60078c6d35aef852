"""Creating (or converging) a state's data with boto3: the table, the audit table and the bucket, hardened
as Terraform's module makes them. Idempotent: an existing table or bucket of the state is kept and
converged, not replaced; settings already applied are recognised by their recorded fingerprint.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.state import (
    BUCKET_BUSY,
    LIFECYCLE_RULE_ID,
    NEW_BUCKET_NOT_READY,
    NONCURRENT_VERSION_DAYS,
    ORIGIN_TAGS,
    PITR_NOT_READY,
    TABLE_BUSY,
    Progress,
    StateData,
    _code,
    _deadline,
    _error,
    _quiet,
    describe_table,
    find_bucket,
    partition_of,
    settled,
    state_tags,
    wait_for_table,
)
from humangov_deploy.naming import TAG_SPEC
from humangov_deploy.waits import Deadline, Sleep


def create_state_data(
    clients: AwsClients,
    state: str,
    *,
    run_id: str | None = None,
    progress: Progress = _quiet,
    tls_only: bool | None = None,
    created_at: datetime | None = None,
    deletion_protection: bool = True,
    deadline: Deadline | None = None,
    sleep: Sleep = time.sleep,
) -> StateData:
    """Create (or converge) the state's table and bucket, re-applying every setting.

    `tls_only` adds the bucket policy that refuses non-TLS requests. By default it follows the endpoint:
    on a plain-http endpoint (an emulator) such a policy would refuse every request the app makes.
    `deletion_protection` (on by default, as Terraform's module) is set on the table either way it stands;
    `destroy_state_data` lifts it itself.
    """
    return converge_state_data(
        clients,
        state,
        run_id=run_id,
        progress=progress,
        tls_only=tls_only,
        created_at=created_at,
        deletion_protection=deletion_protection,
        deadline=deadline,
        sleep=sleep,
        trust_recorded=False,
    ).data


@dataclass(frozen=True)
class ConvergedData:
    data: StateData
    table_arn: str  # the records table's: the task role's policy and the bucket's partition need it


@dataclass(frozen=True)
class _Table:
    name: str
    arn: str
    created: str  # CreationDateTime: a table deleted and made again (by anyone) has another one
    fresh: bool  # made by this call


def converge_state_data(
    clients: AwsClients,
    state: str,
    *,
    run_id: str | None = None,
    progress: Progress = _quiet,
    tls_only: bool | None = None,
    created_at: datetime | None = None,
    deletion_protection: bool = True,
    deadline: Deadline | None = None,
    sleep: Sleep = time.sleep,
    trust_recorded: bool = True,
) -> ConvergedData:
    """`create_state_data`, and what a deploy needs of it, in as few calls as the guarantees allow.

    Always checked: each table exists and is ACTIVE (made and waited for if not), its deletion protection
    (one DescribeTable each), and the bucket exists (ListBuckets). The other settings (PITR, TTL, the
    bucket's public access block, ownership, encryption, versioning, lifecycle, tags and TLS-only
    policy) are PUTs; once all have succeeded, the bucket's `humangov:spec` tag records a fingerprint of
    them and of the tables they went to (name, ARN, creation time). With `trust_recorded` (deploys), a
    bucket whose tag matches is trusted: one GetBucketTagging instead of nine calls. Anything else
    (another setting in the code, a table made again, a bucket made again, a tag removed or changed,
    a run that died half-way) re-applies them all. A setting changed by hand since is not seen then:
    `humangov data create` (trust_recorded=False) re-applies everything whatever the tag says.
    """
    state = appsrc.validate_state(state)
    deadline = _deadline(deadline)
    if tls_only is None:
        tls_only = not (clients.endpoint_url or "").startswith("http://")
    tags = state_tags(state, run_id, created_at)
    schema = appsrc.schema()
    tables = [
        # The audit trail: its own table with the same hardening; its entries never expire (no TTL).
        (schema.create_table_kwargs(schema.table_name(state)), schema.TTL_ATTR),
        (schema.create_audit_table_kwargs(schema.audit_table_name(state)), None),
    ]
    found = [
        _ensure_table(clients, kwargs, tags, progress, deletion_protection, deadline, sleep)
        for kwargs, _ in tables
    ]
    # The bucket's ARN shares the table's partition (aws, aws-us-gov, aws-cn): GovCloud works too.
    partition = partition_of(found[0].arn)
    bucket, current_tags = _find_or_create_bucket(clients, state, progress)
    fresh_bucket = current_tags is None
    tags = {**tags, **{k: v for k, v in (current_tags or {}).items() if k in ORIGIN_TAGS}}
    settings = _hardening_calls(clients, bucket, tags, tls_only, partition)
    digest = _fingerprint(
        {
            "tables": [[t.name, t.arn, t.created, ttl] for t, (_, ttl) in zip(found, tables, strict=True)],
            "bucket": bucket,
            "settings": [[operation, kwargs] for operation, _, kwargs in settings],
        }
    )
    recorded = (
        trust_recorded
        and not any(t.fresh for t in found)
        and current_tags is not None
        and current_tags.get(TAG_SPEC) == digest
        and all(current_tags.get(k) == v for k, v in tags.items())
    )
    if recorded:
        progress(f"data settings as recorded on bucket {bucket} ({TAG_SPEC} {digest})")
    else:
        for table, (_, ttl_attribute) in zip(found, tables, strict=True):
            _ensure_pitr(clients, table.name, deadline, sleep, progress)
            if ttl_attribute:
                _ensure_ttl(clients, table.name, ttl_attribute, progress)
        # The fingerprint goes on with the tags, the last call: only after every setting was accepted.
        settings = _hardening_calls(clients, bucket, {**tags, TAG_SPEC: digest}, tls_only, partition)
        _apply_bucket_settings(clients, bucket, settings, fresh_bucket, deadline, sleep, progress)
    data = StateData(state=state, table=found[0].name, bucket=bucket, region=clients.region)
    return ConvergedData(data=data, table_arn=found[0].arn)


def _fingerprint(spec: Any) -> str:
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _ensure_table(
    clients: AwsClients,
    create_kwargs: dict[str, Any],
    tags: dict[str, str],
    progress: Progress,
    protect: bool,
    deadline: Deadline,
    sleep: Sleep,
) -> _Table:
    """Find (one DescribeTable) or create one table from the schema's CreateTable arguments: encrypted,
    ACTIVE, deletion protection as asked. PITR and TTL are the caller's (`converge_state_data`)."""
    table = str(create_kwargs["TableName"])
    dynamodb = clients.dynamodb
    described = describe_table(clients, table)
    fresh = described is None
    if described is not None:
        progress(f"table {table} exists")
    else:
        progress(f"creating table {table}")
        kwargs: dict[str, Any] = dict(create_kwargs)
        kwargs["SSESpecification"] = {"Enabled": True}
        kwargs["DeletionProtectionEnabled"] = protect
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        try:
            dynamodb.create_table(**kwargs)
        except ClientError as exc:
            # Another run created it between our check and our call: that is the table we want.
            if _code(exc) != "ResourceInUseException":
                raise _error("dynamodb", "CreateTable", exc) from exc
    if described is None or described.get("TableStatus") != "ACTIVE":
        wait_for_table(clients, table, gone=False, deadline=deadline)
        described = describe_table(clients, table) or {}
    if bool(described.get("DeletionProtectionEnabled", False)) != protect:
        progress(f"{'turning on' if protect else 'lifting'} deletion protection of table {table}")
        set_deletion_protection(clients, table, protect, deadline=deadline, sleep=sleep, progress=progress)
    return _Table(
        table, str(described.get("TableArn", "")), str(described.get("CreationDateTime", "")), fresh
    )


def _ensure_pitr(
    clients: AwsClients, table: str, deadline: Deadline, sleep: Sleep, progress: Progress
) -> None:
    dynamodb = clients.dynamodb
    settled(
        lambda: dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        ),
        service="dynamodb",
        operation="UpdateContinuousBackups",
        transient=PITR_NOT_READY,
        deadline=deadline,
        sleep=sleep,
        progress=progress,
        hint="DynamoDB had not made continuous backups available for the new table yet; run it again",
    )


def _ensure_ttl(clients: AwsClients, table: str, attribute: str, progress: Progress) -> None:
    """Turn on TTL unless it is on already: UpdateTimeToLive refuses to enable it twice (ValidationException,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html)."""
    dynamodb = clients.dynamodb
    try:
        found = dynamodb.describe_time_to_live(TableName=table).get("TimeToLiveDescription", {})
    except ClientError as exc:
        raise _error("dynamodb", "DescribeTimeToLive", exc) from exc
    if found.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and found.get("AttributeName") == attribute:
        return
    progress(f"turning on TTL ({attribute}) of table {table}")
    try:
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
        )
    except ClientError as exc:
        raise _error("dynamodb", "UpdateTimeToLive", exc) from exc


def set_deletion_protection(
    clients: AwsClients,
    table: str,
    enabled: bool,
    *,
    deadline: Deadline,
    sleep: Sleep,
    progress: Progress = _quiet,
) -> None:
    """UpdateTable DeletionProtectionEnabled, then wait until the table is ACTIVE again.

    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
    """
    dynamodb = clients.dynamodb
    settled(
        lambda: dynamodb.update_table(TableName=table, DeletionProtectionEnabled=enabled),
        service="dynamodb",
        operation="UpdateTable",
        transient=TABLE_BUSY,
        deadline=deadline,
        sleep=sleep,
        progress=progress,
    )
    wait_for_table(clients, table, gone=False, deadline=deadline)


def _new_bucket_name(state: str) -> str:
    schema = appsrc.schema()
    alphabet = string.ascii_lowercase
    return schema.bucket_prefix(state) + "".join(
        secrets.choice(alphabet) for _ in range(schema.BUCKET_SUFFIX_LENGTH)
    )


def _find_or_create_bucket(
    clients: AwsClients, state: str, progress: Progress
) -> tuple[str, dict[str, str] | None]:
    """The state's bucket and its tags (None: made just now, so it has none yet)."""
    bucket = find_bucket(clients, state)
    if bucket:
        progress(f"bucket {bucket} exists")
        return bucket, bucket_tags(clients, bucket)
    bucket = _new_bucket_name(state)
    progress(f"creating bucket {bucket}")
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if clients.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.region}
    try:
        clients.s3.create_bucket(**kwargs)
    except ClientError as exc:
        raise _error("s3", "CreateBucket", exc) from exc
    return bucket, None


def _apply_bucket_settings(
    clients: AwsClients,
    bucket: str,
    settings: list[tuple[str, Callable[..., Any], dict[str, Any]]],
    fresh: bool,
    deadline: Deadline,
    sleep: Sleep,
    progress: Progress,
) -> None:
    # NoSuchBucket is "not yet" only for the bucket we have just made; for an existing one it is an error.
    transient = NEW_BUCKET_NOT_READY if fresh else BUCKET_BUSY
    for operation, call, kwargs in settings:
        settled(
            functools.partial(call, Bucket=bucket, **kwargs),
            service="s3",
            operation=operation,
            transient=transient,
            deadline=deadline,
            sleep=sleep,
            progress=progress,
            hint="S3 was still propagating the new bucket; run the command again",
        )


def bucket_tags(clients: AwsClients, bucket: str) -> dict[str, str]:
    try:
        tag_set = clients.s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except ClientError as exc:
        if _code(exc) == "NoSuchTagSet":
            return {}
        raise _error("s3", "GetBucketTagging", exc) from exc
    return {t["Key"]: t["Value"] for t in tag_set}


def _hardening_calls(
    clients: AwsClients, bucket: str, tags: dict[str, str], tls_only: bool, partition: str
) -> list[tuple[str, Callable[..., Any], dict[str, Any]]]:
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
                            "ID": LIFECYCLE_RULE_ID,
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
                            "Expiration": {"ExpiredObjectDeleteMarker": True},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                        }
                    ]
                }
            },
        ),
    ]
    if tls_only:
        policy = json.dumps(tls_only_policy(bucket, partition))
        calls.append(("PutBucketPolicy", s3.put_bucket_policy, {"Policy": policy}))
    # Last: the tags carry the fingerprint of the calls before (converge_state_data).
    tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
    calls.append(("PutBucketTagging", s3.put_bucket_tagging, {"Tagging": {"TagSet": tag_set}}))
    return calls


def tls_only_policy(bucket: str, partition: str) -> dict[str, Any]:
    """Deny every non-TLS request; the partition comes from the caller (GovCloud: `aws-us-gov`)."""
    arn = f"arn:{partition}:s3:::{bucket}"
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
