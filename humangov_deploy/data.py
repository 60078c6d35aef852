"""A state's data (DynamoDB table + S3 bucket) created with boto3, on AWS or any AWS-compatible endpoint.

The same schema as Terraform's module (both come from the app's `schema.py`), and the same hardening of
the table and bucket, so `humangov data create` is a faithful stand-in where Terraform cannot run
(emulators, accounts without Terraform). Idempotent: an existing table or bucket of the state is kept and
converged, not replaced. Tables and buckets are found by their names, whoever made them (this module or
Terraform), so removal and adoption never depend on a Terraform state file.

Every wait (a table turning ACTIVE or going away, a call AWS refuses on a resource it is still making)
runs under one `Deadline`, with an injectable sleep.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.errors import AwsCallError, ConfigError, DeployTimeout
from humangov_deploy.naming import TAG_SPEC, format_time
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


# --- creating (or converging) a state's data ------------------------------------------------------------


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
