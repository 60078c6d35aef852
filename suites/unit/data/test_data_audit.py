"""The audit trail's table and the records table's TTL, made by the boto3 data path (and so by the local
platform, whose emulator data is made by the same `create_state_data`), hardened like the records table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws
from strict_aws import StrictAws

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import any_state_data
from humangov_deploy.data.teardown import KIND_TABLE, destroy_state_data, list_state_data

SCHEMA = appsrc.schema()


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


def test_the_audit_table_has_the_schema_and_the_records_tables_hardening(clients: AwsClients) -> None:
    create_state_data(clients, "maine", run_id="r1")
    audit = SCHEMA.audit_table_name("maine")
    assert audit == "humangov-maine-audit"
    table = clients.dynamodb.describe_table(TableName=audit)["Table"]
    expected = SCHEMA.create_audit_table_kwargs(audit)
    assert table["KeySchema"] == expected["KeySchema"]
    assert {(i["IndexName"], str(i["KeySchema"])) for i in table["GlobalSecondaryIndexes"]} == {
        (i["IndexName"], str(i["KeySchema"])) for i in expected["GlobalSecondaryIndexes"]
    }
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is True
    pitr = clients.dynamodb.describe_continuous_backups(TableName=audit)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    tags = {
        t["Key"]: t["Value"]
        for t in clients.dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    }
    assert tags["humangov:state"] == "maine" and tags["humangov:run-id"] == "r1"
    # Audit entries never expire; the records table's throttle counters do.
    assert (
        clients.dynamodb.describe_time_to_live(TableName=audit)["TimeToLiveDescription"]["TimeToLiveStatus"]
        == "DISABLED"
    )
    ttl = clients.dynamodb.describe_time_to_live(TableName=SCHEMA.table_name("maine"))[
        "TimeToLiveDescription"
    ]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", SCHEMA.TTL_ATTR)


def test_a_rerun_converges_without_enabling_ttl_twice(strict_aws: StrictAws) -> None:
    clients = strict_aws.clients  # its rule dynamodb-ttl-twice refuses a second enable, as AWS does
    create_state_data(clients, "maine", sleep=strict_aws.clock.sleep)
    calls: list[str] = []
    clients.dynamodb.meta.events.register(
        "provide-client-params.dynamodb.UpdateTimeToLive", lambda **_: calls.append("UpdateTimeToLive")
    )
    # AWS refuses to enable TTL twice (ValidationException): the strict layer too.
    create_state_data(clients, "maine", sleep=strict_aws.clock.sleep)
    assert calls == []


def test_destroy_removes_both_tables_and_sweep_lists_the_audit_table(clients: AwsClients) -> None:
    create_state_data(clients, "maine")
    create_state_data(clients, "vermont")
    tables = {r.name for r in list_state_data(clients) if r.kind == KIND_TABLE}
    assert tables == {
        "humangov-maine-dynamodb",
        "humangov-maine-audit",
        "humangov-vermont-dynamodb",
        "humangov-vermont-audit",
    }
    assert destroy_state_data(clients, "maine") is True
    assert sorted(clients.dynamodb.list_tables()["TableNames"]) == [
        "humangov-vermont-audit",
        "humangov-vermont-dynamodb",
    ]


def test_a_lone_audit_table_still_counts_as_the_states_data(clients: AwsClients) -> None:
    clients.dynamodb.create_table(**SCHEMA.create_audit_table_kwargs(SCHEMA.audit_table_name("maine")))
    assert any_state_data(clients, "maine") is True
    assert destroy_state_data(clients, "maine") is True
    assert clients.dynamodb.list_tables()["TableNames"] == []
