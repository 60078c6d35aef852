"""The Terraform data backend when the account and this runner's Terraform state disagree.

A fresh CI runner, or a sweep job, has no Terraform state for data another runner applied; data made by
`humangov data create` is in no Terraform state at all. Terraform runs as the fake of terraform_support
(it keeps a state file but makes nothing); the account is moto, where such data is made as Terraform's
module makes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from moto import mock_aws
from terraform_support import (
    TERRAFORM_RUN_ID,
    FakeTerraform,
    HclModule,
    make_data_as_terraform_does,
)

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.data import state as data_api
from humangov_deploy.data.create import create_state_data
from humangov_deploy.data.terraform import Terraform, TerraformNotFound
from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import format_time
from humangov_deploy.platforms.aws.data import Boto3Data, TerraformData, data_leftovers

MakeTerraform = Callable[..., Terraform]


@pytest.fixture
def clients() -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients(region="us-east-1")


@pytest.fixture
def backend(clients: AwsClients, make_terraform: MakeTerraform) -> TerraformData:
    return TerraformData(clients, terraform=lambda progress: make_terraform(progress=progress))


def buckets(clients: AwsClients, state: str) -> list[str]:
    return sorted(b["Name"] for b in clients.s3.list_buckets()["Buckets"] if f"-{state}-" in b["Name"])


def tables(clients: AwsClients) -> list[str]:
    return list(clients.dynamodb.list_tables()["TableNames"])


def applies(fake: FakeTerraform) -> list[list[str]]:
    return [call["argv"] for call in fake.calls() if call["command"] == "apply"]


# --- deploy (ensure) ------------------------------------------------------------------------------------


def test_a_deploy_applies_with_the_table_protected(
    backend: TerraformData, fake_terraform: FakeTerraform
) -> None:
    backend.ensure("texas", run_id="r1", progress=lambda _: None)

    (apply,) = applies(fake_terraform)
    assert "-var=deletion_protection=true" in apply
    assert "-var=force_destroy=false" in apply


def test_terraform_made_data_without_local_state_is_adopted_not_duplicated(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    table, bucket = make_data_as_terraform_does(clients, "texas")
    lines: list[str] = []

    refs = backend.ensure("texas", run_id="r2", progress=lines.append)

    assert applies(fake_terraform) == []  # an apply would make a second bucket with a new suffix
    assert (refs.table, refs.bucket) == (table, bucket)
    assert refs.table_arn.endswith(f":table/{table}") and refs.bucket_arn == f"arn:aws:s3:::{bucket}"
    assert buckets(clients, "texas") == [bucket]
    described = clients.dynamodb.describe_table(TableName=table)["Table"]
    assert described["DeletionProtectionEnabled"] is True
    # The data is kept. (moto applies the TLS-only Deny without its Condition: drop it to read.)
    clients.s3.delete_bucket_policy(Bucket=bucket)
    assert clients.s3.get_object(Bucket=bucket, Key="documents/r0/1.pdf")["Body"].read() == b"%PDF-1.4 two"
    assert any("adopting" in line for line in lines)


def test_data_made_by_humangov_data_create_is_adopted_too(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    made = create_state_data(clients, "utah", tls_only=False)

    refs = backend.ensure("utah", run_id="r2", progress=lambda _: None)

    assert applies(fake_terraform) == []
    assert (refs.table, refs.bucket) == (made.table, made.bucket)
    assert buckets(clients, "utah") == [made.bucket]


def test_only_a_table_left_gets_its_bucket_back_by_name(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    table, bucket = make_data_as_terraform_does(clients, "idaho", objects=0)
    clients.s3.delete_bucket(Bucket=bucket)  # a half-finished teardown on another runner

    refs = backend.ensure("idaho", run_id="r3", progress=lambda _: None)

    assert applies(fake_terraform) == []
    assert refs.table == table and buckets(clients, "idaho") == [refs.bucket]


def test_data_in_this_runners_terraform_state_is_applied_as_usual(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    backend.ensure("texas", run_id="r1", progress=lambda _: None)  # this runner applied it before
    make_data_as_terraform_does(clients, "texas", suffix="abcd")  # ... and it exists in the account

    refs = backend.ensure("texas", run_id="r2", progress=lambda _: None)

    assert len(applies(fake_terraform)) == 2
    assert refs.bucket == "humangov-texas-s3-abcd"  # Terraform's own outputs


def test_boto3_backend_adopts_terraform_made_data_too(clients: AwsClients) -> None:
    table, bucket = make_data_as_terraform_does(clients, "ohio")

    refs = Boto3Data(clients).ensure("ohio", run_id="r4", progress=lambda _: None)

    assert (refs.table, refs.bucket) == (table, bucket) and buckets(clients, "ohio") == [bucket]


# --- destroy --------------------------------------------------------------------------------------------


def test_destroy_on_a_fresh_runner_removes_terraform_made_data_by_name(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    table, bucket = make_data_as_terraform_does(clients, "texas")
    clients.s3.create_bucket(Bucket=bucket.replace("qrst", "wxyz"))  # the duplicate an old deploy made
    lines: list[str] = []

    backend.destroy("texas", run_id="r9", progress=lines.append)

    assert "destroy" in fake_terraform.commands()  # Terraform first: it had nothing, so ...
    assert table not in tables(clients)  # ... by name: the protected table,
    assert buckets(clients, "texas") == []  # every bucket of the state, every object version
    assert any("lifting deletion protection" in line for line in lines)


def test_destroy_with_local_state_lifts_protection_in_terraform_then_sweeps_by_name(
    backend: TerraformData, clients: AwsClients, fake_terraform: FakeTerraform
) -> None:
    backend.ensure("texas", run_id="r1", progress=lambda _: None)
    make_data_as_terraform_does(clients, "texas", suffix="abcd")  # what that apply made (on moto)

    backend.destroy("texas", run_id="r1", progress=lambda _: None)

    targeted = [argv for argv in applies(fake_terraform) if any(a.startswith("-target=") for a in argv)]
    assert targeted and "-var=deletion_protection=false" in targeted[0]
    assert "-var=force_destroy=true" in targeted[0]
    assert fake_terraform.commands()[-1] == "destroy"
    assert tables(clients) == [] and buckets(clients, "texas") == []


def test_destroy_without_terraform_installed_still_removes_by_name(
    clients: AwsClients, tmp_path: Path
) -> None:
    missing = TerraformData(
        clients, terraform=lambda progress: Terraform(workdir=tmp_path, binary="/nonexistent/terraform")
    )
    make_data_as_terraform_does(clients, "maine")
    lines: list[str] = []

    missing.destroy("maine", run_id="r", progress=lines.append)

    assert tables(clients) == [] and buckets(clients, "maine") == []
    assert any("not found" in line and "by name" in line for line in lines)
    with pytest.raises(TerraformNotFound):  # a deploy, though, needs Terraform
        missing.ensure("maine", run_id="r", progress=lambda _: None)
    assert issubclass(TerraformNotFound, ConfigError)


def test_destroy_of_nothing_is_quiet(backend: TerraformData, clients: AwsClients) -> None:
    backend.destroy("vermont", run_id="r", progress=lambda _: None)
    assert tables(clients) == []


# --- sweep ----------------------------------------------------------------------------------------------


def test_data_leftovers_lists_every_states_data_by_name_whoever_made_it(clients: AwsClients) -> None:
    tf_table, tf_bucket = make_data_as_terraform_does(clients, "texas", objects=0)
    made = create_state_data(
        clients, "utah", run_id="boto3-run", created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    bare = "humangov-ohio-dynamodb"  # no tag at all: made by hand, or by a run killed mid-way
    clients.dynamodb.create_table(**appsrc.schema().create_table_kwargs(bare))
    for stranger in ("humangov-atlantis-dynamodb", "payroll"):
        clients.dynamodb.create_table(**appsrc.schema().create_table_kwargs(stranger))
    for stranger in ("humangov-atlantis-s3-abcd", "humangov-texas-s3-toolong", "humangov-texas-logs"):
        clients.s3.create_bucket(Bucket=stranger)

    found = {(f.state, f.kind, f.id): f for f in data_leftovers(clients)}

    assert set(found) == {
        ("texas", "dynamodb:table", f"arn:aws:dynamodb:us-east-1:123456789012:table/{tf_table}"),
        ("texas", "s3:bucket", f"arn:aws:s3:::{tf_bucket}"),
        ("utah", "dynamodb:table", f"arn:aws:dynamodb:us-east-1:123456789012:table/{made.table}"),
        # create_state_data makes the state's audit trail too; sweep finds it by name like the table.
        ("utah", "dynamodb:table", "arn:aws:dynamodb:us-east-1:123456789012:table/humangov-utah-audit"),
        ("utah", "s3:bucket", f"arn:aws:s3:::{made.bucket}"),
        ("ohio", "dynamodb:table", f"arn:aws:dynamodb:us-east-1:123456789012:table/{bare}"),
    }
    texas = found[("texas", "s3:bucket", f"arn:aws:s3:::{tf_bucket}")]
    assert texas.run_id == TERRAFORM_RUN_ID
    assert texas.created == datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # from the run id: no created-at tag
    utah = found[("utah", "dynamodb:table", f"arn:aws:dynamodb:us-east-1:123456789012:table/{made.table}")]
    assert (utah.run_id, format_time(utah.created or datetime.min)) == ("boto3-run", "2026-01-02T03:04:05Z")
    ohio = found[("ohio", "dynamodb:table", f"arn:aws:dynamodb:us-east-1:123456789012:table/{bare}")]
    assert ohio.run_id is None and ohio.created is not None  # AWS's own CreationDateTime


def test_data_leftovers_carry_the_partition() -> None:
    with mock_aws():
        clients = AwsClients(region="us-gov-west-1")
        clients.s3.create_bucket(
            Bucket="humangov-ohio-s3-abcd", CreateBucketConfiguration={"LocationConstraint": "us-gov-west-1"}
        )
        [found] = data_leftovers(clients)  # a bucket alone: its partition comes from the caller's identity
    assert found.id == "arn:aws-us-gov:s3:::humangov-ohio-s3-abcd"


# --- one hardening for both backends --------------------------------------------------------------------


def test_the_boto3_lifecycle_is_terraforms(module: HclModule) -> None:
    [rule] = module.resource("aws_s3_bucket_lifecycle_configuration", "state_s3")["rule"]
    default_days = module.variables["noncurrent_version_expiration_days"]["default"]
    assert int(default_days) == data_api.NONCURRENT_VERSION_DAYS
    assert rule["id"] == data_api.LIFECYCLE_RULE_ID
    assert rule["expiration"] == [{"expired_object_delete_marker": True}]


def test_a_created_bucket_gets_that_lifecycle(clients: AwsClients) -> None:
    made = create_state_data(clients, "utah")
    [rule] = clients.s3.get_bucket_lifecycle_configuration(Bucket=made.bucket)["Rules"]
    assert rule["ID"] == data_api.LIFECYCLE_RULE_ID
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == data_api.NONCURRENT_VERSION_DAYS
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}
