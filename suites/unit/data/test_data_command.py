from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from humangov_deploy import appsrc
from humangov_deploy.build.emulator import EmbeddedAws
from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    # Real HTTP to moto's server: the CLI must honour --endpoint-url for every call.
    with EmbeddedAws() as aws:
        yield aws.endpoint_url


def test_data_create_show_destroy_over_http(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "create", "--state", "vermont", "--endpoint-url", endpoint, "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["state"] == "vermont" and created["region"] == "us-east-1"
    assert created["table"] == "humangov-vermont-dynamodb"
    assert re.fullmatch(r"humangov-vermont-s3-[a-z]{4}", created["bucket"])
    # On a plain-http endpoint a TLS-only policy would refuse the app's every call: none is set.
    s3 = AwsClients(endpoint_url=endpoint).s3
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=created["bucket"])
    s3.put_object(Bucket=created["bucket"], Key="documents/a/1.pdf", Body=b"%PDF-1.4")

    assert main(["data", "show", "--state", "vermont", "--endpoint-url", endpoint, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == created

    assert main(["data", "destroy", "--state", "vermont", "--endpoint-url", endpoint, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"state": "vermont", "removed": True}
    assert main(["data", "show", "--state", "vermont", "--endpoint-url", endpoint, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["table"] is None


def test_text_output_names_table_and_bucket(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "create", "--state", "new-york", "--endpoint-url", endpoint]) == 0
    out = capsys.readouterr().out
    assert "table:  humangov-new-york-dynamodb" in out and "bucket: humangov-new-york-s3-" in out
    assert main(["data", "destroy", "--state", "new-york", "--endpoint-url", endpoint]) == 0
    assert "new-york: removed" in capsys.readouterr().out


def test_bad_state_is_a_clear_error_and_exit_1(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "create", "--state", "atlantis", "--endpoint-url", endpoint]) == 1
    assert "unknown state 'atlantis'" in capsys.readouterr().err


def test_missing_credentials_are_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["data", "show", "--state", "texas"]) == 1
    assert "no AWS credentials found" in capsys.readouterr().err


def test_destroy_removes_data_terraform_made_protected_table_and_every_bucket(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # As Terraform's module leaves it, and as a second deploy with a lost state used to duplicate it.
    clients = AwsClients(endpoint_url=endpoint)
    clients.dynamodb.create_table(
        **appsrc.schema().create_table_kwargs("humangov-nevada-dynamodb"), DeletionProtectionEnabled=True
    )
    for bucket in ("humangov-nevada-s3-abcd", "humangov-nevada-s3-wxyz"):
        clients.s3.create_bucket(Bucket=bucket)
        clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        clients.s3.put_object(Bucket=bucket, Key="documents/a/1.pdf", Body=b"%PDF-1.4")

    args = ["data", "destroy", "--state", "nevada", "--endpoint-url", endpoint, "--json", "--timeout", "60"]
    assert main(args) == 0

    assert json.loads(capsys.readouterr().out) == {"state": "nevada", "removed": True}
    assert "humangov-nevada-dynamodb" not in clients.dynamodb.list_tables()["TableNames"]
    assert not [b for b in clients.s3.list_buckets()["Buckets"] if "nevada" in b["Name"]]


def test_created_tables_are_protected(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "create", "--state", "alaska", "--endpoint-url", endpoint, "--json"]) == 0
    table = json.loads(capsys.readouterr().out)["table"]
    described = AwsClients(endpoint_url=endpoint).dynamodb.describe_table(TableName=table)["Table"]
    assert described["DeletionProtectionEnabled"] is True
    assert main(["data", "destroy", "--state", "alaska", "--endpoint-url", endpoint]) == 0
    assert "alaska: removed" in capsys.readouterr().out
