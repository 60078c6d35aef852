"""Sweep finds and removes a state's data by name, whoever made it: Terraform tags it managed-by=terraform."""

from __future__ import annotations

from datetime import timedelta

from aws_testkit import NOW, moto_platform
from strict_aws import StrictAws

QUIET = lambda _m: None  # noqa: E731
TERRAFORM_TAGS = {
    "humangov:managed-by": "terraform",
    "humangov:state": "texas",
    "humangov:run-id": "20261126T090000Z-tfrun1",
}


def terraform_made_data(strict: StrictAws) -> None:
    clients = strict.clients
    clients.dynamodb.create_table(
        TableName="humangov-texas-dynamodb",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=True,
        Tags=[{"Key": k, "Value": v} for k, v in TERRAFORM_TAGS.items()],
    )
    clients.s3.create_bucket(Bucket="humangov-texas-s3-abcd")
    strict.off("s3-bucket-settings-after-create")  # setting up, not what is tested here
    tagging = {"TagSet": [{"Key": k, "Value": v} for k, v in TERRAFORM_TAGS.items()]}
    clients.s3.put_bucket_tagging(Bucket="humangov-texas-s3-abcd", Tagging=tagging)
    clients.s3.put_object(Bucket="humangov-texas-s3-abcd", Key="documents/1/1.pdf", Body=b"%PDF-1.4")


def test_sweep_lists_and_removes_data_made_by_terraform(strict_aws: StrictAws) -> None:
    terraform_made_data(strict_aws)
    strict_aws.clock.sleep(3600)
    platform = moto_platform(strict_aws.clients, clock=strict_aws.clock, now=NOW + timedelta(hours=3))
    dry = platform.sweep(older_than=7200, dry_run=True, timeout=600, progress=QUIET)
    kinds = {(f.state, f.kind) for f in dry.found}
    assert {("texas", "dynamodb:table"), ("texas", "s3:bucket")} <= kinds
    assert dry.removed_states == ["texas"]

    platform.sweep(older_than=7200, dry_run=False, timeout=600, progress=QUIET)
    assert strict_aws.clients.dynamodb.list_tables()["TableNames"] == []
    assert strict_aws.clients.s3.list_buckets()["Buckets"] == []


def test_sweep_keeps_young_terraform_data(strict_aws: StrictAws) -> None:
    terraform_made_data(strict_aws)
    platform = moto_platform(strict_aws.clients, clock=strict_aws.clock, now=NOW - timedelta(hours=2))
    report = platform.sweep(older_than=7200, dry_run=False, timeout=600, progress=QUIET)
    assert report.removed_states == []
    assert strict_aws.clients.dynamodb.list_tables()["TableNames"] == ["humangov-texas-dynamodb"]


def test_sweep_removes_a_states_stray_second_bucket_and_a_lone_bucket(strict_aws: StrictAws) -> None:
    terraform_made_data(strict_aws)
    clients = strict_aws.clients
    tagging = {"TagSet": [{"Key": k, "Value": v} for k, v in TERRAFORM_TAGS.items()]}
    clients.s3.create_bucket(Bucket="humangov-texas-s3-efgh")  # a second apply's duplicate
    clients.s3.put_bucket_tagging(Bucket="humangov-texas-s3-efgh", Tagging=tagging)
    utah = {**TERRAFORM_TAGS, "humangov:state": "utah"}
    clients.s3.create_bucket(Bucket="humangov-utah-s3-wxyz")  # a bucket whose table is already gone
    clients.s3.put_bucket_tagging(
        Bucket="humangov-utah-s3-wxyz", Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in utah.items()]}
    )
    strict_aws.clock.sleep(3600)
    platform = moto_platform(clients, clock=strict_aws.clock, now=NOW + timedelta(hours=3))
    report = platform.sweep(older_than=7200, dry_run=False, timeout=600, progress=QUIET)
    assert report.removed_states == ["texas", "utah"]
    assert clients.s3.list_buckets()["Buckets"] == []
    assert clients.dynamodb.list_tables()["TableNames"] == []
