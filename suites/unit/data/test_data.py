from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from moto import mock_aws

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import find_state_data
from humangov_deploy.data.teardown import destroy_state_data, empty_bucket
from humangov_deploy.errors import ConfigError

# moto evaluates a bucket policy's Deny without its Condition, so the TLS-only policy would refuse
# every object call here; tests that write objects therefore create the data with tls_only=False.
OBJECTS_OK = {"tls_only": False}


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


def test_create_gives_the_table_exactly_the_apps_schema(clients: AwsClients) -> None:
    data = create_state_data(clients, "california", run_id="r1")
    assert data.table == "humangov-california-dynamodb"
    table = clients.dynamodb.describe_table(TableName=data.table)["Table"]
    expected = appsrc.schema().create_table_kwargs(data.table)
    assert table["KeySchema"] == expected["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == appsrc.schema().BY_NAME_INDEX
    assert index["KeySchema"] == expected["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    backups = clients.dynamodb.describe_continuous_backups(TableName=data.table)
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        == "ENABLED"
    )
    tags = {
        t["Key"]: t["Value"]
        for t in clients.dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    }
    created_at = tags.pop("humangov:created-at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created_at)
    assert tags == {
        "humangov:state": "california",
        "humangov:managed-by": "humangov",
        "humangov:run-id": "r1",
    }


def test_create_hardens_the_bucket_like_terraform(clients: AwsClients) -> None:
    data = create_state_data(clients, "new-york")
    assert re.fullmatch(r"humangov-new-york-s3-[a-z]{4}", data.bucket)
    s3 = clients.s3
    block = s3.get_public_access_block(Bucket=data.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=data.bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=data.bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=data.bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = json.loads(s3.get_bucket_policy(Bucket=data.bucket)["Policy"])
    [deny] = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=data.bucket)["Rules"]
    assert lifecycle[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0


def test_create_is_idempotent_and_keeps_the_data(clients: AwsClients) -> None:
    first = create_state_data(clients, "texas", **OBJECTS_OK)
    clients.s3.put_object(Bucket=first.bucket, Key="documents/x/1.pdf", Body=b"%PDF-1.4")
    clients.dynamodb.put_item(TableName=first.table, Item={"id": {"S": "x"}})
    second = create_state_data(clients, "texas", **OBJECTS_OK)
    assert second == first
    assert len([b for b in clients.s3.list_buckets()["Buckets"] if "texas" in b["Name"]]) == 1
    assert clients.dynamodb.get_item(TableName=first.table, Key={"id": {"S": "x"}})["Item"]
    assert clients.s3.get_object(Bucket=first.bucket, Key="documents/x/1.pdf")["Body"].read() == b"%PDF-1.4"


def test_a_rerun_keeps_the_buckets_origin_tags(clients: AwsClients) -> None:
    first = create_state_data(clients, "idaho", run_id="first-run")
    before = clients.s3.get_bucket_tagging(Bucket=first.bucket)["TagSet"]
    create_state_data(clients, "idaho", run_id="second-run")
    after = {t["Key"]: t["Value"] for t in clients.s3.get_bucket_tagging(Bucket=first.bucket)["TagSet"]}
    assert after["humangov:run-id"] == "first-run"
    assert after["humangov:created-at"] == {t["Key"]: t["Value"] for t in before}["humangov:created-at"]


def test_states_are_silos(clients: AwsClients) -> None:
    ca = create_state_data(clients, "california")
    tx = create_state_data(clients, "texas")
    assert ca.table != tx.table and ca.bucket != tx.bucket
    destroy_state_data(clients, "texas")
    assert find_state_data(clients, "texas") is None
    assert find_state_data(clients, "california") == ca


def test_destroy_removes_every_object_version_then_the_bucket_and_table(clients: AwsClients) -> None:
    data = create_state_data(clients, "ohio", **OBJECTS_OK)
    for version in range(3):  # three versions of one key, then a delete marker
        clients.s3.put_object(Bucket=data.bucket, Key="documents/a/v.pdf", Body=b"%%PDF %d" % version)
    clients.s3.delete_object(Bucket=data.bucket, Key="documents/a/v.pdf")
    assert destroy_state_data(clients, "ohio") is True
    names = [b["Name"] for b in clients.s3.list_buckets()["Buckets"]]
    assert data.bucket not in names
    assert data.table not in clients.dynamodb.list_tables()["TableNames"]
    # Idempotent: a second destroy finds nothing and says so.
    assert destroy_state_data(clients, "ohio") is False


def test_empty_bucket_counts_versions_and_markers(clients: AwsClients) -> None:
    data = create_state_data(clients, "utah", **OBJECTS_OK)
    clients.s3.put_object(Bucket=data.bucket, Key="k", Body=b"1")
    clients.s3.put_object(Bucket=data.bucket, Key="k", Body=b"2")
    clients.s3.delete_object(Bucket=data.bucket, Key="k")
    assert empty_bucket(clients, data.bucket) == 3
    assert "Versions" not in clients.s3.list_object_versions(Bucket=data.bucket)


def test_outside_us_east_1_the_bucket_gets_its_region() -> None:
    with mock_aws():
        clients = AwsClients(region="eu-west-1")
        data = create_state_data(clients, "maine")
        location = clients.s3.get_bucket_location(Bucket=data.bucket)["LocationConstraint"]
        assert location == "eu-west-1" and data.region == "eu-west-1"


def test_a_stray_second_bucket_is_an_error_not_a_guess(clients: AwsClients) -> None:
    create_state_data(clients, "iowa")
    clients.s3.create_bucket(Bucket="humangov-iowa-s3-zzzz")
    with pytest.raises(ConfigError, match="several buckets"):
        find_state_data(clients, "iowa")


def test_an_unknown_state_creates_nothing(clients: AwsClients) -> None:
    with pytest.raises(ConfigError):
        create_state_data(clients, "atlantis")
    assert clients.s3.list_buckets()["Buckets"] == []
