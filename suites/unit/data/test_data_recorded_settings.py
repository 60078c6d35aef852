"""A deploy trusts the data settings its last full converge recorded on the bucket (tag humangov:spec),
and re-applies them all whenever that record does not vouch for what is there now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import bucket_tags, converge_state_data, create_state_data
from humangov_deploy.naming import TAG_SPEC

WRITES = ("Put", "Update", "Create")


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


def _writes(clients: AwsClients) -> list[str]:
    """Every write call (s3, dynamodb) made through these clients from now on."""
    calls: list[str] = []
    for service in ("s3", "dynamodb"):

        def hook(model: object, _service: str = service, **_: object) -> None:
            name = str(getattr(model, "name", ""))
            if name.startswith(WRITES):
                calls.append(f"{_service} {name}")

        clients.client(service).meta.events.register("before-call.*.*", hook)
    return calls


def test_a_recorded_converge_is_trusted_by_the_next_deploy(clients: AwsClients) -> None:
    first = converge_state_data(clients, "utah", run_id="r1")
    assert bucket_tags(clients, first.data.bucket).get(TAG_SPEC), "a full converge records its fingerprint"
    writes = _writes(clients)
    again = converge_state_data(clients, "utah", run_id="r2")
    assert writes == [] and again == first


def test_a_missing_record_makes_the_deploy_reapply_every_setting(clients: AwsClients) -> None:
    bucket = converge_state_data(clients, "utah", run_id="r1").data.bucket
    tags = bucket_tags(clients, bucket)
    del tags[TAG_SPEC]  # e.g. a run that died before its last call, or tags rewritten by hand
    clients.s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    )
    clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    writes = _writes(clients)
    converge_state_data(clients, "utah", run_id="r2")
    assert "s3 PutBucketVersioning" in writes and writes.count("dynamodb UpdateContinuousBackups") == 2
    assert clients.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert bucket_tags(clients, bucket).get(TAG_SPEC)


def test_a_table_made_again_has_its_settings_reapplied(clients: AwsClients) -> None:
    first = converge_state_data(clients, "utah", run_id="r1", deletion_protection=False)
    audit = "humangov-utah-audit"
    clients.dynamodb.delete_table(TableName=audit)
    create_kwargs = {
        "TableName": audit,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    clients.dynamodb.create_table(**create_kwargs)  # by someone else: no PITR
    writes = _writes(clients)
    converge_state_data(clients, "utah", run_id="r2", deletion_protection=False)
    assert writes.count("dynamodb UpdateContinuousBackups") == 2, writes
    backups = clients.dynamodb.describe_continuous_backups(TableName=audit)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert first.data.bucket == converge_state_data(clients, "utah").data.bucket


def test_data_create_reapplies_every_setting_whatever_the_record_says(clients: AwsClients) -> None:
    bucket = create_state_data(clients, "utah", run_id="r1").bucket
    clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert converge_state_data(clients, "utah", run_id="r2").data.bucket == bucket  # trusts: drift stays
    assert clients.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    create_state_data(clients, "utah", run_id="r3")
    assert clients.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
