"""Removing a state's data: protected tables, every bucket of the state, every object version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from fake_clock import FakeClock
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data, tls_only_policy
from humangov_deploy.data.state import find_state_data, state_buckets
from humangov_deploy.data.teardown import destroy_state_data, empty_bucket
from humangov_deploy.errors import AwsCallError, ConfigError
from humangov_deploy.waits import Deadline

OBJECTS_OK = {"tls_only": False}  # moto applies a Deny without its Condition (DESIGN.md)


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_created_table_is_protected_against_deletion(clients: AwsClients) -> None:
    operations: list[str] = []
    clients.dynamodb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: operations.append(model.name)
    )

    data = create_state_data(clients, "kansas")

    # Protected from its first moment: CreateTable carries it, no UpdateTable comes after.
    assert "CreateTable" in operations and "UpdateTable" not in operations

    table = clients.dynamodb.describe_table(TableName=data.table)["Table"]
    assert table["DeletionProtectionEnabled"] is True
    with pytest.raises(clients.dynamodb.exceptions.ClientError, match="DeletionProtection"):
        clients.dynamodb.delete_table(TableName=data.table)


def test_converging_turns_protection_on_for_an_unprotected_table(clients: AwsClients) -> None:
    create_state_data(clients, "kansas", deletion_protection=False)
    table = clients.dynamodb.describe_table(TableName="humangov-kansas-dynamodb")["Table"]
    assert table["DeletionProtectionEnabled"] is False

    create_state_data(clients, "kansas")

    table = clients.dynamodb.describe_table(TableName="humangov-kansas-dynamodb")["Table"]
    assert table["DeletionProtectionEnabled"] is True


def test_destroy_lifts_the_protection_itself(clients: AwsClients, clock: FakeClock) -> None:
    lines: list[str] = []
    data = create_state_data(clients, "kansas", **OBJECTS_OK)
    clients.s3.put_object(Bucket=data.bucket, Key="documents/a/1.pdf", Body=b"%PDF-1.4")

    assert destroy_state_data(clients, "kansas", progress=lines.append, deadline=Deadline(60, clock)) is True

    assert "humangov-kansas-dynamodb" not in clients.dynamodb.list_tables()["TableNames"]
    assert not [b for b in clients.s3.list_buckets()["Buckets"] if "kansas" in b["Name"]]
    assert any("lifting deletion protection" in line for line in lines)


def test_destroy_removes_every_bucket_named_as_the_states(clients: AwsClients) -> None:
    data = create_state_data(clients, "iowa", **OBJECTS_OK)
    clients.s3.create_bucket(Bucket="humangov-iowa-s3-zzzz")  # a duplicate, as a second deploy made
    clients.s3.put_object(Bucket="humangov-iowa-s3-zzzz", Key="k", Body=b"x")
    clients.s3.create_bucket(Bucket="humangov-iowa-s3-notours")  # not the naming scheme: kept
    with pytest.raises(ConfigError, match="several buckets"):
        find_state_data(clients, "iowa")

    destroy_state_data(clients, "iowa")

    names = {b["Name"] for b in clients.s3.list_buckets()["Buckets"]}
    assert data.bucket not in names and "humangov-iowa-s3-zzzz" not in names
    assert "humangov-iowa-s3-notours" in names
    assert find_state_data(clients, "iowa") is None


def test_a_bucket_in_another_region_is_not_this_regions_state_data() -> None:
    with mock_aws():
        east = AwsClients(region="us-east-1")
        create_state_data(east, "maine", **OBJECTS_OK)
        stubbed = AwsClients(region="us-west-2")
        stubber = Stubber(stubbed.s3)
        listing = {
            "Buckets": [
                {"Name": "humangov-maine-s3-abcd", "BucketRegion": "us-east-1"},
                {"Name": "humangov-maine-s3-wxyz", "BucketRegion": "us-west-2"},
            ]
        }
        stubber.add_response("list_buckets", listing, {"Prefix": "humangov-maine-s3-"})
        with stubber:
            assert state_buckets(stubbed, "maine") == ["humangov-maine-s3-wxyz"]


def test_the_tls_policy_names_the_callers_partition() -> None:
    with mock_aws():
        clients = AwsClients(region="us-gov-west-1")
        data = create_state_data(clients, "ohio", tls_only=True)
        policy = json.loads(clients.s3.get_bucket_policy(Bucket=data.bucket)["Policy"])

    resources = policy["Statement"][0]["Resource"]
    assert resources == [f"arn:aws-us-gov:s3:::{data.bucket}", f"arn:aws-us-gov:s3:::{data.bucket}/*"]
    assert tls_only_policy("b", "aws-cn")["Statement"][0]["Resource"][0] == "arn:aws-cn:s3:::b"


# --- emptying a versioned bucket ------------------------------------------------------------------------


def versions(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"Key": f"{prefix}{i}", "VersionId": f"v{i}"} for i in range(count)]


def pages(*contents: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """ListObjectVersions pages as S3 pages them: at most 1,000 versions and markers each, then a marker."""
    answers = []
    for number, (found, markers) in enumerate(contents):
        last = number == len(contents) - 1
        answer: dict[str, Any] = {"Versions": found, "DeleteMarkers": markers, "IsTruncated": not last}
        if not last:
            answer |= {"NextKeyMarker": f"key-{number}", "NextVersionIdMarker": f"ver-{number}"}
        answers.append(answer)
    return answers


def test_emptying_follows_every_page_of_versions_and_delete_markers() -> None:
    clients = AwsClients(region="us-east-1")
    first = (versions("a", 700), versions("m", 300))  # 1,000: a full page
    second = (versions("b", 1000), [])
    third = ([], versions("z", 5))  # only delete markers left
    listed: list[dict[str, Any]] = []
    with Stubber(clients.s3) as stubber:
        for number, answer in enumerate(pages(first, second, third)):
            params: dict[str, Any] = {"Bucket": "humangov-ohio-s3-abcd", "MaxKeys": 1000}
            if number:
                params |= {"KeyMarker": f"key-{number - 1}", "VersionIdMarker": f"ver-{number - 1}"}
            stubber.add_response("list_object_versions", answer, params)
            listed += answer["Versions"] + answer["DeleteMarkers"]
        for start in range(0, len(listed), 1000):  # DeleteObjects takes at most 1,000 keys
            batch = [{"Key": k["Key"], "VersionId": k["VersionId"]} for k in listed[start : start + 1000]]
            delete = {"Bucket": "humangov-ohio-s3-abcd", "Delete": {"Objects": batch, "Quiet": True}}
            stubber.add_response("delete_objects", {}, delete)

        count = empty_bucket(clients, "humangov-ohio-s3-abcd")

        stubber.assert_no_pending_responses()
    assert count == len(listed) == 2005


def test_keys_that_delete_objects_could_not_delete_are_an_error_naming_them() -> None:
    clients = AwsClients(region="us-east-1")
    (answer,) = pages((versions("doc", 3), []))
    errors = [
        {"Key": "doc1", "VersionId": "v1", "Code": "AccessDenied", "Message": "Access Denied"},
        {"Key": "doc2", "VersionId": "v2", "Code": "AccessDenied", "Message": "Access Denied"},
    ]
    with Stubber(clients.s3) as stubber:
        stubber.add_response("list_object_versions", answer, {"Bucket": "b", "MaxKeys": 1000})
        stubber.add_response("delete_objects", {"Errors": errors}, {"Bucket": "b", "Delete": ANY})

        with pytest.raises(AwsCallError) as caught:
            empty_bucket(clients, "b")

    assert caught.value.code == "AccessDenied" and caught.value.operation == "DeleteObjects"
    assert (
        "doc1" in str(caught.value)
        and "doc2" in str(caught.value)
        and "2 object version(s)" in str(caught.value)
    )


def test_a_bucket_with_undeletable_keys_is_not_deleted(
    clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = create_state_data(clients, "utah", **OBJECTS_OK)
    clients.s3.put_object(Bucket=data.bucket, Key="held", Body=b"x")
    real = clients.s3.delete_objects

    def refuse(**kwargs: Any) -> dict[str, Any]:
        [first, *_] = kwargs["Delete"]["Objects"]
        return {"Errors": [{**first, "Code": "AccessDenied", "Message": "legal hold"}]}

    monkeypatch.setattr(clients.s3, "delete_objects", refuse)
    with pytest.raises(AwsCallError, match="held"):
        destroy_state_data(clients, "utah")
    monkeypatch.setattr(clients.s3, "delete_objects", real)

    assert data.bucket in {b["Name"] for b in clients.s3.list_buckets()["Buckets"]}


def test_many_pages_of_versions_and_markers_on_moto(clients: AwsClients) -> None:
    # The same paging as 1,000 a page, with pages of 10 so moto needs only a few dozen objects.
    data = create_state_data(clients, "utah", **OBJECTS_OK)
    for i in range(31):
        clients.s3.put_object(Bucket=data.bucket, Key=f"k{i % 4}", Body=b"x")
    for key in ("k0", "k1"):
        clients.s3.delete_object(Bucket=data.bucket, Key=key)  # delete markers too

    assert empty_bucket(clients, data.bucket, page_size=10) == 33
    listing = clients.s3.list_object_versions(Bucket=data.bucket)
    assert "Versions" not in listing and "DeleteMarkers" not in listing
