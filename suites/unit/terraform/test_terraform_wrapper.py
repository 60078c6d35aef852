"""The Terraform wrapper against a fake `terraform` executable: command lines, isolation, errors, retries."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from terraform_support import FakeTerraform

from humangov_deploy.data.terraform import (
    OUTPUT_NAME,
    Terraform,
    TerraformOutputs,
    parse_outputs,
    workspace_name,
)
from humangov_deploy.errors import ConfigError, TerraformError

MakeTerraform = Callable[..., Terraform]


def calls_of(fake: FakeTerraform, command: str) -> list[dict[str, Any]]:
    return [call for call in fake.calls() if call["command"] == command]


def test_apply_inits_selects_the_state_workspace_applies_and_returns_typed_outputs(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()

    outputs = terraform.apply("california", region="us-west-2", run_id="20261126T170000Z-ab12")

    assert outputs == TerraformOutputs(
        state="california",
        table="humangov-california-dynamodb",
        bucket="humangov-california-s3-abcd",
        table_arn="arn:aws:dynamodb:us-east-1:123456789012:table/humangov-california-dynamodb",
        bucket_arn="arn:aws:s3:::humangov-california-s3-abcd",
    )
    assert fake_terraform.commands() == ["init", "workspace select", "apply", "output"]
    init, select, apply, output = fake_terraform.calls()
    assert init["argv"] == ["init", "-input=false", "-no-color"]
    assert select["argv"] == ["workspace", "select", "-or-create=true", "-no-color", "humangov-california"]
    assert apply["argv"][:4] == ["apply", "-input=false", "-no-color", "-auto-approve"]
    assert "-lock-timeout=120s" in apply["argv"]
    assert apply["argv"][-5:] == [
        '-var=states=["california"]',
        "-var=region=us-west-2",
        "-var=run_id=20261126T170000Z-ab12",
        "-var=force_destroy=false",
        "-var=deletion_protection=true",  # protected unless a caller says otherwise, as the module
    ]
    assert output["argv"] == ["output", "-no-color", "-json", OUTPUT_NAME]
    for call in fake_terraform.calls():
        assert call["cwd"] == str(fake_terraform.workdir)
        assert call["env"]["TF_DATA_DIR"] == str(fake_terraform.workdir / ".terraform-data" / "california")
        assert call["env"]["TF_IN_AUTOMATION"] == "1"
        assert call["env"]["TF_INPUT"] == "0"


def test_apply_passes_the_test_run_switches(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()

    terraform.apply("new-york", region="us-east-1", run_id="r", force_destroy=True, deletion_protection=False)

    (apply,) = calls_of(fake_terraform, "apply")
    assert "-var=force_destroy=true" in apply["argv"]
    assert "-var=deletion_protection=false" in apply["argv"]
    assert '-var=states=["new-york"]' in apply["argv"]


def test_each_state_has_its_own_workspace_state_file_and_data_dir(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()

    terraform.apply("california", region="us-east-1")
    terraform.apply("new-york", region="us-east-1")

    selects = calls_of(fake_terraform, "workspace select")
    assert [call["argv"][-1] for call in selects] == ["humangov-california", "humangov-new-york"]
    data_dirs = {call["env"]["TF_DATA_DIR"] for call in fake_terraform.calls()}
    assert data_dirs == {
        str(fake_terraform.workdir / ".terraform-data" / "california"),
        str(fake_terraform.workdir / ".terraform-data" / "new-york"),
    }
    assert json.loads(fake_terraform.state_file("california").read_text())["states"] == ["california"]
    assert json.loads(fake_terraform.state_file("new-york").read_text())["states"] == ["new-york"]
    # Selecting new-york's workspace did not switch california's: its outputs are still its own.
    assert terraform.output("california").table == "humangov-california-dynamodb"
    # The selected workspace is recorded per data directory, so it cannot leak between states.
    assert (terraform.data_dir("california") / "environment").read_text() == "humangov-california"
    assert (terraform.data_dir("new-york") / "environment").read_text() == "humangov-new-york"


def test_two_states_apply_at_the_same_time_without_touching_each_other(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()
    states = ["texas", "ohio"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda s: terraform.apply(s, region="us-east-1"), states))

    assert [r.table for r in results] == ["humangov-texas-dynamodb", "humangov-ohio-dynamodb"]
    for state in states:
        assert json.loads(fake_terraform.state_file(state).read_text())["states"] == [state]
        state_calls = [c for c in fake_terraform.calls() if c["env"]["TF_DATA_DIR"].endswith(f"/{state}")]
        assert [c["command"] for c in state_calls] == ["init", "workspace select", "apply", "output"]


def test_an_inherited_tf_workspace_is_never_passed_on(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    # TF_WORKSPACE would override the state's selected workspace and write into another state's state.
    terraform = make_terraform(env={"TF_WORKSPACE": "humangov-texas"})

    outputs = terraform.apply("california", region="us-east-1")

    assert outputs.table == "humangov-california-dynamodb"
    assert {call["env"]["TF_WORKSPACE"] for call in fake_terraform.calls()} == {None}
    assert not fake_terraform.state_file("texas").exists()


def test_init_runs_once_per_state_and_passes_the_backend_config(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform(backend_config={"bucket": "tf-state", "key": "humangov/terraform.tfstate"})

    terraform.apply("california", region="us-east-1")
    terraform.output("california")
    terraform.plan("california", region="us-east-1")

    (init,) = calls_of(fake_terraform, "init")
    assert init["argv"][-2:] == [
        "-backend-config=bucket=tf-state",
        "-backend-config=key=humangov/terraform.tfstate",
    ]
    cache = fake_terraform.workdir / ".terraform-data" / "plugin-cache"
    assert init["env"]["TF_PLUGIN_CACHE_DIR"] == str(cache)


def test_plan_reports_whether_anything_would_change(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()

    first = terraform.plan("california", region="us-east-1", run_id="r1")
    terraform.apply("california", region="us-east-1", run_id="r1")
    second = terraform.plan("california", region="us-east-1", run_id="r1")
    teardown = terraform.plan("california", region="us-east-1", destroy=True)

    assert (first.has_changes, second.has_changes, teardown.has_changes) == (True, False, True)
    assert "Plan: 7 to add" in first.output
    plans = calls_of(fake_terraform, "plan")
    assert all("-detailed-exitcode" in call["argv"] for call in plans)
    assert ["-destroy" in call["argv"] for call in plans] == [False, False, True]


def test_destroy_with_force_unlocks_only_what_exists_then_destroys(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    terraform = make_terraform()
    terraform.apply("california", region="us-east-1", run_id="r1", deletion_protection=True)

    terraform.destroy("california", region="us-east-1", run_id="r1", force=True)

    assert fake_terraform.commands()[-4:] == ["output", "state list", "apply", "destroy"]
    unlock, destroy = calls_of(fake_terraform, "apply")[-1], calls_of(fake_terraform, "destroy")[-1]
    targets = [a for a in unlock["argv"] if a.startswith("-target=")]
    assert targets == [
        '-target=module.aws_humangov_infrastructure["california"].aws_dynamodb_table.state_dynamodb',
        '-target=module.aws_humangov_infrastructure["california"].aws_dynamodb_table.state_audit',
        '-target=module.aws_humangov_infrastructure["california"].aws_s3_bucket.state_s3',
    ]
    for call in (unlock, destroy):
        assert "-var=force_destroy=true" in call["argv"]
        assert "-var=deletion_protection=false" in call["argv"]
    assert "-auto-approve" in destroy["argv"]
    assert json.loads(fake_terraform.state_file("california").read_text())["states"] == []


def test_destroy_of_a_state_never_applied_creates_nothing(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    make_terraform().destroy("vermont", region="us-east-1", force=True)

    assert fake_terraform.commands() == ["init", "workspace select", "state list", "destroy"]


def test_a_failure_carries_terraforms_stderr_and_is_not_retried(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform, sleeps: list[float]
) -> None:
    fake_terraform.fail("apply", "Error: creating S3 Bucket humangov-california-s3-abcd: BucketAlreadyExists")

    with pytest.raises(TerraformError) as caught:
        make_terraform().apply("california", region="us-east-1")

    assert caught.value.command == "apply"
    assert caught.value.returncode == 1
    assert "BucketAlreadyExists" in caught.value.stderr
    assert "BucketAlreadyExists" in str(caught.value)
    assert len(calls_of(fake_terraform, "apply")) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "stderr",
    [
        "Error: reading DynamoDB Table: ThrottlingException: Rate exceeded",
        "Error: creating S3 Bucket: RequestLimitExceeded: Request limit exceeded.",
        "Error: Put https://dynamodb.us-east-1.amazonaws.com/: read: connection reset by peer",
        "Error: Get https://s3.amazonaws.com/: net/http: TLS handshake timeout",
        "Error: Error acquiring the state lock\n\nLock Info:\n  ID: 1234",
    ],
)
def test_known_transient_errors_are_retried_with_backoff(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform, sleeps: list[float], stderr: str
) -> None:
    fake_terraform.fail("apply", stderr)

    outputs = make_terraform().apply("california", region="us-east-1")

    assert outputs.bucket == "humangov-california-s3-abcd"
    assert len(calls_of(fake_terraform, "apply")) == 2
    assert sleeps == [5.0]


def test_retries_are_bounded(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform, sleeps: list[float]
) -> None:
    message = "Error: Failed to query available provider packages: TLS handshake timeout"
    fake_terraform.fail("init", message, message, message)
    progress: list[str] = []

    with pytest.raises(TerraformError) as caught:
        make_terraform(progress=progress.append).init("california")

    assert caught.value.command == "init"
    assert "TLS handshake timeout" in caught.value.stderr
    assert len(calls_of(fake_terraform, "init")) == 3
    assert sleeps == [5.0, 15.0]
    assert sum("retry" in line for line in progress) == 2


def test_output_before_any_apply_is_a_terraform_error(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    with pytest.raises(TerraformError) as caught:
        make_terraform().output("california")

    assert caught.value.command == "output"
    assert "not found" in caught.value.stderr


@pytest.mark.parametrize("text", ["", "not json", '{"new-york": {}}', '{"california": {"s3_bucket": "b"}}'])
def test_outputs_of_the_wrong_shape_are_a_terraform_error(text: str) -> None:
    with pytest.raises(TerraformError, match="no outputs for california"):
        parse_outputs("california", text)


def test_progress_receives_terraforms_lines_but_not_the_output_json(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    progress: list[str] = []

    make_terraform(progress=progress.append).apply("california", region="us-east-1")

    assert "Terraform has been successfully initialized!" in progress
    assert "Apply complete! Resources: 7 added, 0 changed, 0 destroyed." in progress
    assert not any("dynamodb_table_arn" in line for line in progress)


def test_an_unknown_state_is_refused_before_running_terraform(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    with pytest.raises(ConfigError, match="unknown state"):
        make_terraform().apply("atlantis", region="us-east-1")

    assert fake_terraform.calls() == []


def test_state_names_are_normalized_as_everywhere_else(
    make_terraform: MakeTerraform, fake_terraform: FakeTerraform
) -> None:
    outputs = make_terraform().apply("New York", region="us-east-1")

    assert outputs.state == "new-york"
    assert calls_of(fake_terraform, "workspace select")[0]["argv"][-1] == workspace_name("new-york")


@pytest.mark.parametrize("binary", ["terraform-not-installed", "/nonexistent/bin/terraform"])
def test_a_missing_binary_is_a_config_error_that_says_how_to_install_it(tmp_path: Path, binary: str) -> None:
    terraform = Terraform(workdir=tmp_path, binary=binary, env={"PATH": str(tmp_path)})

    with pytest.raises(ConfigError) as caught:
        terraform.init("california")

    message = str(caught.value)
    assert binary in message
    assert "install Terraform" in message


def test_an_injected_runner_is_called_like_subprocess_run(tmp_path: Path) -> None:
    seen: list[tuple[list[str], dict[str, Any]]] = []

    def runner(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.append((args, kwargs))
        return subprocess.CompletedProcess(args, 0, "ok\n", "")

    Terraform(workdir=tmp_path, binary="tf-from-runner", runner=runner).init("utah")

    assert [args[:2] for args, _ in seen] == [["tf-from-runner", "init"], ["tf-from-runner", "workspace"]]
    kwargs = seen[0][1]
    assert kwargs["cwd"] == str(tmp_path.resolve())
    assert kwargs["env"]["TF_DATA_DIR"] == str(tmp_path.resolve() / ".terraform-data" / "utah")
    assert (kwargs["capture_output"], kwargs["text"], kwargs["check"]) == (True, True, False)


def test_an_injected_runner_without_the_binary_is_a_config_error(tmp_path: Path) -> None:
    def runner(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError(2, "No such file or directory", args[0])

    with pytest.raises(ConfigError, match="terraform"):
        Terraform(workdir=tmp_path, runner=runner).init("utah")
