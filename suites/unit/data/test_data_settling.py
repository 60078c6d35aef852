"""The boto3 data path against what AWS answers while it is still making a table or bucket.

moto makes a table ACTIVE, its continuous backups and a new bucket's configuration available at once;
AWS does not (UpdateContinuousBackups: ContinuousBackupsUnavailableException; S3: eventual consistency
of a new bucket's configuration). A small proxy over moto's clients answers those errors first, and the
DynamoDB waiters run on a Stubber with botocore's sleep replaced by a FakeClock: nothing sleeps.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import botocore.waiter
import pytest
from botocore.exceptions import ClientError, WaiterError
from botocore.stub import Stubber
from fake_clock import FakeClock
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.state import SETTLE_WINDOW, TABLE_POLL_DELAY, wait_for_table
from humangov_deploy.data.teardown import destroy_state_data
from humangov_deploy.errors import AwsCallError, DeployTimeout, HumangovError
from humangov_deploy.waits import Deadline


class Flaky:
    """A boto3 client that answers `failures[operation]` (error codes, in order) before the real call."""

    def __init__(self, client: Any, failures: dict[str, list[str]]) -> None:
        self._client = client
        self.failures = failures
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name not in self.failures:
            return real

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            if self.failures[name]:
                code = self.failures[name].pop(0)
                raise ClientError({"Error": {"Code": code, "Message": f"{code} (injected)"}}, name)
            return real(**kwargs)

        return call


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def flaky(clients: AwsClients, service: str, failures: dict[str, list[str]]) -> Flaky:
    proxy = Flaky(clients.client(service), failures)
    clients._cache[service] = proxy
    return proxy


def test_pitr_unavailable_right_after_active_is_retried_until_it_is(
    clients: AwsClients, clock: FakeClock
) -> None:
    dynamodb = flaky(
        clients, "dynamodb", {"update_continuous_backups": ["ContinuousBackupsUnavailableException"] * 3}
    )
    lines: list[str] = []

    data = create_state_data(
        clients, "oregon", deadline=Deadline(600, clock), sleep=clock.sleep, progress=lines.append
    )

    # 3 refused + 1 accepted for the records table, then 1 for the audit table (available by then).
    assert dynamodb.calls == ["update_continuous_backups"] * 5
    assert len(clock.sleeps) == 3 and all(0 < s <= 10 for s in clock.sleeps)
    assert sum("ContinuousBackupsUnavailableException" in line for line in lines) == 3
    pitr = clients.dynamodb.describe_continuous_backups(TableName=data.table)["ContinuousBackupsDescription"]
    assert pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_pitr_that_never_becomes_available_fails_as_a_timeout_within_the_window(
    clients: AwsClients, clock: FakeClock
) -> None:
    flaky(
        clients, "dynamodb", {"update_continuous_backups": ["ContinuousBackupsUnavailableException"] * 10_000}
    )
    start = clock()

    with pytest.raises(DeployTimeout) as caught:
        create_state_data(clients, "oregon", deadline=Deadline(3600, clock), sleep=clock.sleep)

    assert caught.value.last_state == "ContinuousBackupsUnavailableException"
    assert "UpdateContinuousBackups" in str(caught.value)
    assert clock() - start <= SETTLE_WINDOW  # bounded by its own window, well inside the deadline


def test_pitr_retries_stop_at_the_operations_deadline(clients: AwsClients, clock: FakeClock) -> None:
    flaky(
        clients, "dynamodb", {"update_continuous_backups": ["ContinuousBackupsUnavailableException"] * 10_000}
    )
    start = clock()
    deadline = Deadline(20, clock)

    with pytest.raises(DeployTimeout):
        create_state_data(clients, "oregon", deadline=deadline, sleep=clock.sleep)

    assert deadline.expired() and clock() - start == 20  # not a second past it


def test_other_pitr_errors_fail_at_once(clients: AwsClients, clock: FakeClock) -> None:
    flaky(clients, "dynamodb", {"update_continuous_backups": ["AccessDeniedException"]})

    with pytest.raises(AwsCallError) as caught:
        create_state_data(clients, "oregon", deadline=Deadline(600, clock), sleep=clock.sleep)

    assert caught.value.code == "AccessDeniedException" and clock.sleeps == []


@pytest.mark.parametrize(
    "operation",
    ["put_public_access_block", "put_bucket_versioning", "put_bucket_tagging", "put_bucket_policy"],
)
def test_a_new_buckets_settings_are_retried_while_s3_has_not_seen_the_bucket(
    clients: AwsClients, clock: FakeClock, operation: str
) -> None:
    s3 = flaky(clients, "s3", {operation: ["NoSuchBucket", "OperationAborted"]})

    data = create_state_data(
        clients, "idaho", tls_only=True, deadline=Deadline(600, clock), sleep=clock.sleep
    )

    assert s3.calls == [operation] * 3 and len(clock.sleeps) == 2
    assert clients.s3.get_bucket_versioning(Bucket=data.bucket)["Status"] == "Enabled"
    assert clients.s3.get_bucket_policy(Bucket=data.bucket)["Policy"]


def test_an_existing_bucket_that_is_gone_is_an_error_not_a_wait(
    clients: AwsClients, clock: FakeClock
) -> None:
    create_state_data(clients, "idaho", deadline=Deadline(600, clock), sleep=clock.sleep)
    flaky(clients, "s3", {"put_bucket_versioning": ["NoSuchBucket"]})

    with pytest.raises(AwsCallError) as caught:
        create_state_data(clients, "idaho", deadline=Deadline(600, clock), sleep=clock.sleep)

    assert caught.value.code == "NoSuchBucket" and clock.sleeps == []


# --- the DynamoDB waiters under the operation's deadline ------------------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[AwsClients, Stubber]]:
    clients = AwsClients(region="us-east-1")
    stubber = Stubber(clients.dynamodb)
    with stubber:
        yield clients, stubber


@pytest.fixture
def waiter_sleeps(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> list[float]:
    # botocore's waiter sleeps with time.sleep between polls: give it the fake clock's sleep instead.
    monkeypatch.setattr(botocore.waiter, "time", types.SimpleNamespace(sleep=clock.sleep))
    return clock.sleeps


def table(status: str) -> dict[str, Any]:
    return {"Table": {"TableName": "humangov-utah-dynamodb", "TableStatus": status}}


def test_the_table_waiter_polls_only_as_long_as_the_deadline_allows(
    stubbed: tuple[AwsClients, Stubber], clock: FakeClock, waiter_sleeps: list[float]
) -> None:
    clients, stubber = stubbed
    seconds = 10 * TABLE_POLL_DELAY
    for _ in range(seconds // TABLE_POLL_DELAY):
        stubber.add_response("describe_table", table("CREATING"), {"TableName": "humangov-utah-dynamodb"})

    with pytest.raises(DeployTimeout) as caught:
        wait_for_table(clients, "humangov-utah-dynamodb", gone=False, deadline=Deadline(seconds, clock))

    stubber.assert_no_pending_responses()  # exactly deadline / delay polls, then it gave up
    assert sum(waiter_sleeps) <= seconds
    assert caught.value.last_state == "CREATING"
    assert not isinstance(caught.value, WaiterError) and isinstance(caught.value, HumangovError)
    assert isinstance(caught.value.__cause__, WaiterError)


def test_the_table_waiter_returns_once_active(
    stubbed: tuple[AwsClients, Stubber], clock: FakeClock, waiter_sleeps: list[float]
) -> None:
    clients, stubber = stubbed
    for status in ("CREATING", "CREATING", "ACTIVE"):
        stubber.add_response("describe_table", table(status), {"TableName": "humangov-utah-dynamodb"})

    wait_for_table(clients, "humangov-utah-dynamodb", gone=False, deadline=Deadline(600, clock))

    stubber.assert_no_pending_responses()
    assert waiter_sleeps == [TABLE_POLL_DELAY] * 2


def test_a_table_that_never_goes_fails_as_a_timeout_not_a_waiter_error(
    stubbed: tuple[AwsClients, Stubber], clock: FakeClock, waiter_sleeps: list[float]
) -> None:
    clients, stubber = stubbed
    stubber.add_response("describe_table", table("DELETING"), {"TableName": "humangov-utah-dynamodb"})

    with pytest.raises(DeployTimeout) as caught:
        wait_for_table(clients, "humangov-utah-dynamodb", gone=True, deadline=Deadline(1, clock))

    assert caught.value.last_state == "DELETING" and "deleted" in caught.value.what


def test_an_error_while_waiting_is_an_aws_call_error(
    stubbed: tuple[AwsClients, Stubber], clock: FakeClock, waiter_sleeps: list[float]
) -> None:
    clients, stubber = stubbed
    stubber.add_client_error("describe_table", "AccessDeniedException", "no", 400)

    with pytest.raises(AwsCallError) as caught:
        wait_for_table(clients, "humangov-utah-dynamodb", gone=False, deadline=Deadline(600, clock))

    assert caught.value.code == "AccessDeniedException"


def test_create_and_destroy_wait_for_the_table_under_the_callers_deadline(
    clients: AwsClients, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, int]] = []
    real_get_waiter = clients.dynamodb.get_waiter

    def get_waiter(name: str) -> Any:
        waiter = real_get_waiter(name)
        real_wait = waiter.wait

        def wait(**kwargs: Any) -> None:
            seen.append(kwargs["WaiterConfig"])
            real_wait(**kwargs)

        waiter.wait = wait
        return waiter

    monkeypatch.setattr(clients.dynamodb, "get_waiter", get_waiter)
    deadline = Deadline(60, clock)
    create_state_data(clients, "utah", deadline=deadline, sleep=clock.sleep)
    destroy_state_data(clients, "utah", deadline=deadline, sleep=clock.sleep)

    assert seen, "no DynamoDB waiter ran"
    assert all(c["Delay"] * c["MaxAttempts"] <= 60 for c in seen)
