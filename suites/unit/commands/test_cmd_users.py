"""`humangov users ...` through the CLI's `main`, on both platforms' data clients.

aws: against moto's server over HTTP (`--platform aws --endpoint-url`), the state's data made by
`humangov data create`. local: the local platform on a fake Docker engine (its deploy makes the state's
data on in-process moto), reached through `LocalPlatform.data_clients` as on a real machine.

One server serves the module and the state's data is made once: each test starts from its tables emptied
(a server per test cost ~0.5 s of wall time to stop, `data create` ~0.25 s of CPU). Passwords are hashed at
scrypt_cost.TEST_N: the cost is the accounts tests' concern, not the CLI's.
"""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from scrypt_cost import TEST_N, scrypt_n

from humangov_deploy import appsrc
from humangov_deploy.build.emulator import EmbeddedAws
from humangov_deploy.cli import main
from humangov_deploy.clients import AwsClients
from humangov_deploy.users import accounts, audit, cli_actor

SCHEMA = appsrc.schema()
PASSWORD = "a long enough password"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def _test_scrypt_cost() -> Iterator[None]:
    with scrypt_n(TEST_N):
        yield


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """moto's server in this process for the whole module (shadows the commands' per-test one)."""
    with EmbeddedAws() as aws:
        try:
            yield aws.endpoint_url
        finally:
            reset_moto(aws.endpoint_url)  # leave no emulated state behind for later tests in this process


@pytest.fixture
def aws_state(moto_server: str, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], AwsClients]:
    """idaho's data, made by `humangov data create` if the server lacks it (the first test, or after a
    test's `mock_aws` reset moto's shared backends), else its two tables emptied."""
    common = ["--state", "idaho", "--platform", "aws", "--endpoint-url", moto_server, "--region", "us-east-1"]
    clients = AwsClients(region="us-east-1", endpoint_url=moto_server)
    tables = (SCHEMA.table_name("idaho"), SCHEMA.audit_table_name("idaho"))
    if all(map(partial(table_exists, clients.dynamodb), tables)):
        for table in tables:
            empty_table(clients.dynamodb, table)
    else:
        assert main(["data", "create", "--state", "idaho", "--endpoint-url", moto_server, "--json"]) == 0
        capsys.readouterr()
    return common, clients


def table_exists(dynamodb: Any, table: str) -> bool:
    try:
        dynamodb.describe_table(TableName=table)
    except dynamodb.exceptions.ResourceNotFoundException:
        return False
    return True


def empty_table(dynamodb: Any, table: str) -> None:
    keys = [k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})


def reset_moto(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)


def entries(clients: AwsClients, state: str) -> list[Any]:
    return list(audit().query(clients.dynamodb, SCHEMA.audit_table_name(state)).items)


def test_the_whole_user_lifecycle_on_the_aws_platform(
    aws_state: tuple[list[str], AwsClients], capsys: pytest.CaptureFixture[str]
) -> None:
    common, clients = aws_state
    code, out, _ = run(capsys, "users", "add", *common, "--username", "Ada", "--role", "editor")
    assert code == 0 and "added ada (editor) to idaho" in out
    one_time = out.rsplit(": ", 1)[1].strip()
    table = SCHEMA.table_name("idaho")
    user = accounts().authenticate(clients.dynamodb, table, "ada", one_time, now=datetime.now(UTC))
    assert user.must_change is True

    code, out, _ = run(capsys, "users", "token", *common, "--username", "ada", "--json")
    token = json.loads(out)
    assert (
        code == 0 and accounts().user_for_token(clients.dynamodb, table, token["token"])[0].username == "ada"
    )

    code, out, _ = run(capsys, "users", "list", *common, "--json")
    [listed] = json.loads(out)["users"]
    assert (listed["username"], listed["role"], listed["must_change_password"]) == ("ada", "editor", True)
    assert [t["id"] for t in listed["tokens"]] == [token["token_id"]]
    assert "token" not in json.dumps(listed["tokens"][0]).replace('"tokens"', "").replace("token_id", "")

    # (Not to admin: the state's only admin could not be removed below, the last-admin rule.)
    assert run(capsys, "users", "set-role", *common, "--username", "ada", "--role", "viewer")[0] == 0
    assert run(capsys, "users", "revoke-token", *common, "--token-id", token["token_id"][:8])[0] == 0
    assert accounts().user_for_token(clients.dynamodb, table, token["token"]) is None
    code, out, _ = run(capsys, "users", "reset-password", *common, "--username", "ada", "--json")
    assert code == 0 and json.loads(out)["one_time_password"]
    assert run(capsys, "users", "remove", *common, "--username", "ada")[0] == 0
    code, out, _ = run(capsys, "users", "list", *common)
    assert code == 0 and "idaho has no users" in out

    trail = entries(clients, "idaho")
    assert [e.action for e in reversed(trail)] == [
        "user.add",
        "user.token_create",
        "user.set_role",
        "user.token_revoke",
        "user.reset_password",
        "user.remove",
    ]
    assert {e.who for e in trail} == {cli_actor()} and {e.target for e in trail} == {"ada"}
    assert trail[3].details == {"role": {"old": "editor", "new": "viewer"}}
    assert one_time not in json.dumps([e.to_json() for e in trail])  # no secret in the trail


def test_a_password_from_stdin_is_taken_and_not_printed(
    aws_state: tuple[list[str], AwsClients],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    common, clients = aws_state
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = run(
        capsys, "users", "add", *common, "--username", "bob", "--role", "viewer", "--password-stdin"
    )
    assert code == 0, err
    assert PASSWORD not in out and "one-time" not in out
    user = accounts().authenticate(
        clients.dynamodb, SCHEMA.table_name("idaho"), "bob", PASSWORD, now=datetime.now(UTC)
    )
    assert user.must_change is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "--username", "ada", "--role", "root"], "unknown role 'root'"),
        (["set-role", "--username", "nobody", "--role", "admin"], "no user nobody"),
        (["remove", "--username", "nobody"], "no user nobody"),
        (["token", "--username", "nobody"], "no user nobody"),
        (["revoke-token", "--token-id", "abcdef123456"], "no single token"),
        (["add", "--username", "x", "--role", "viewer"], "bad username"),
    ],
)
def test_clear_errors(
    aws_state: tuple[list[str], AwsClients], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    common, _ = aws_state
    code, _, err = run(capsys, "users", argv[0], *common, *argv[1:])
    assert code == 1 and err.splitlines()[-1].startswith("humangov users: error: idaho: ") and message in err


def test_a_weak_password_on_stdin_is_refused(
    aws_state: tuple[list[str], AwsClients],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    common, clients = aws_state
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(
        capsys, "users", "add", *common, "--username", "ada", "--role", "viewer", "--password-stdin"
    )
    assert code == 1 and "password too short" in err
    assert accounts().list_users(clients.dynamodb, SCHEMA.table_name("idaho")) == []
    assert entries(clients, "idaho") == []


def test_a_state_that_is_not_deployed_is_named(moto_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--state", "iowa", "--platform", "aws", "--endpoint-url", moto_server]
    code, _, err = run(capsys, "users", "add", *common, "--username", "ada", "--role", "viewer")
    assert code == 1 and "iowa is not deployed here: no table humangov-iowa-dynamodb" in err


def test_a_state_without_its_audit_table_changes_nothing(
    moto_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state deployed before the audit trail existed: no unaudited change, and what to do about it."""
    clients = AwsClients(region="us-east-1", endpoint_url=moto_server)
    table = SCHEMA.table_name("kansas")  # kansas: a state no other test of the shared server makes
    clients.dynamodb.create_table(**SCHEMA.create_table_kwargs(table))
    try:
        common = ["--state", "kansas", "--platform", "aws", "--endpoint-url", moto_server]
        code, _, err = run(capsys, "users", "add", *common, "--username", "ada", "--role", "viewer")
        assert code == 1 and "no table humangov-kansas-audit" in err and "deploy it again" in err
        assert accounts().list_users(clients.dynamodb, table) == []
    finally:
        clients.dynamodb.delete_table(TableName=table)


@pytest.fixture
def local_platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The local platform with `california` deployed on a fake engine; `from_options` hands it to the CLI."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "platforms" / "local"))
    from test_local import make_platform, quiet
    from test_local_fakedocker import FakeDocker

    from humangov_deploy.platforms import local

    with mock_aws():
        platform = make_platform(FakeDocker())
        platform.deploy("california", timeout=60, progress=quiet)
        monkeypatch.setattr(local, "from_options", lambda **_: platform)
        yield platform


def test_users_on_the_local_platform_reach_its_emulator(
    local_platform: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--state", "california", "--platform", "local"]
    code, out, _ = run(capsys, "users", "add", *common, "--username", "lin", "--role", "admin", "--json")
    assert code == 0 and json.loads(out)["one_time_password"]
    clients = local_platform.data_clients("california")
    assert [u.username for u in accounts().list_users(clients.dynamodb, SCHEMA.table_name("california"))] == [
        "lin"
    ]
    assert [e.action for e in entries(clients, "california")] == ["user.add"]
    # A state the local platform has not deployed: the platform's own message.
    code, _, err = run(capsys, "users", "list", "--state", "texas", "--platform", "local")
    assert code == 1 and "texas has no running AWS emulator on the local platform" in err
