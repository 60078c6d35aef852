"""A destroy that meets a table already DELETING (an interrupted destroy, a sweep beside it) waits for it
to be gone, on the strict layer where DeleteTable is asynchronous (issue 19, item 3)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from strict_aws import TABLE_DELETING, StrictAws

from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import any_state_data, state_tables
from humangov_deploy.data.teardown import destroy_state_data, remove_table
from humangov_deploy.waits import Deadline

TIMEOUT = 600.0


def made(strict: StrictAws, state: str) -> tuple[str, str]:
    create_state_data(strict.clients, state, sleep=strict.clock.sleep)
    records, audit = state_tables(state)
    for table in (records, audit):
        strict.clients.dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    return records, audit


def status(strict: StrictAws, table: str) -> str | None:
    try:
        return str(strict.clients.dynamodb.describe_table(TableName=table)["Table"]["TableStatus"])
    except ClientError:
        return None


def test_a_destroy_meeting_a_deleting_table_waits_for_it_and_ends_well_before_its_deadline(
    strict_aws: StrictAws,
) -> None:
    records, audit = made(strict_aws, "maine")
    strict_aws.clients.dynamodb.delete_table(TableName=records)  # what the interrupted destroy did
    assert status(strict_aws, records) == "DELETING"
    started = strict_aws.clock()
    lines: list[str] = []
    deadline = Deadline(TIMEOUT, strict_aws.clock)
    destroy_state_data(
        strict_aws.clients, "maine", progress=lines.append, deadline=deadline, sleep=strict_aws.clock.sleep
    )
    assert status(strict_aws, records) is None and status(strict_aws, audit) is None
    assert not any_state_data(strict_aws.clients, "maine")
    assert strict_aws.clock() - started <= 2 * TABLE_DELETING + 10  # not the deadline
    assert any("already being deleted" in line for line in lines)


def test_a_second_delete_table_refused_while_deleting_counts_as_going(
    strict_aws: StrictAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, _ = made(strict_aws, "maine")
    clients = strict_aws.clients
    # Another destroy's DeleteTable lands between our DescribeTable (ACTIVE) and our DeleteTable.
    original = clients.dynamodb.delete_table
    calls: list[str] = []

    def racing(**kwargs: Any) -> Any:
        if not calls:
            original(**kwargs)  # the other run's
        calls.append(kwargs["TableName"])
        return original(**kwargs)

    monkeypatch.setattr(clients.dynamodb, "delete_table", racing)
    started = strict_aws.clock()
    remove_table(clients, records, deadline=Deadline(TIMEOUT, strict_aws.clock), sleep=strict_aws.clock.sleep)
    assert status(strict_aws, records) is None
    assert calls == [records]  # refused with ResourceInUseException once, and not tried again
    assert any(
        r.startswith("dynamodb-delete-table-async: ResourceInUseException") for r in strict_aws.refusals
    )
    assert strict_aws.clock() - started <= TABLE_DELETING + 10
