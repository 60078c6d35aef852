"""`destroy(force=True)` lifts the protection of every protected resource of the module, whatever the
module holds, and a rerun after a destroy that stopped half-way finishes (issue 19, item 1). On the strict
layer, with a stand-in terraform whose resources are the module's own (moto_terraform.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from moto_terraform import MotoTerraform
from strict_aws import StrictAws
from terraform_support import HclModule

from humangov_deploy.appsrc import TERRAFORM_DIR
from humangov_deploy.data.state import any_state_data, state_tables
from humangov_deploy.data.terraform import Terraform, TerraformError, protected_resources, resource_of

PROTECTION = ("deletion_protection_enabled", "deletion_protection", "force_destroy")


def terraform(stand_in: MotoTerraform, tmp_path: Path) -> Terraform:
    return Terraform(runner=stand_in, data_root=tmp_path / "data", sleep=lambda _s: None)


def exists(strict: StrictAws, table: str) -> bool:
    try:
        strict.clients.dynamodb.describe_table(TableName=table)
    except ClientError:
        return False
    return True


def test_the_stand_ins_state_list_is_the_modules_resources(
    strict_aws: StrictAws, module: HclModule, tmp_path: Path
) -> None:
    stand_in = MotoTerraform(strict_aws.clients)
    tf = terraform(stand_in, tmp_path)
    tf.apply("california", region="us-east-1")
    listed = {resource_of(address) for address in tf.resources("california")}
    assert listed == set(module.resources)


def test_every_protected_resource_of_the_module_is_found(module: HclModule) -> None:
    # python-hcl2's reading of the module is the oracle for the library's own scan of the .tf files.
    expected = {key for key, body in module.resources.items() if any(a in body for a in PROTECTION)}
    assert expected >= {("aws_dynamodb_table", "state_audit"), ("aws_dynamodb_table", "state_dynamodb")}
    assert protected_resources(TERRAFORM_DIR) == expected


def test_a_forced_destroy_removes_every_protected_table(strict_aws: StrictAws, tmp_path: Path) -> None:
    stand_in = MotoTerraform(strict_aws.clients)
    tf = terraform(stand_in, tmp_path)
    tf.apply("california", region="us-east-1")
    records, audit = state_tables("california")
    assert exists(strict_aws, records) and exists(strict_aws, audit)
    tf.destroy("california", region="us-east-1", force=True)
    assert not any_state_data(strict_aws.clients, "california")
    assert tf.resources("california") == []
    targeted = next(c for c in stand_in.commands if c[0] == "apply" and any("-target=" in a for a in c))
    targets = {resource_of(a[len("-target=") :]) for a in targeted if a.startswith("-target=")}
    assert targets == protected_resources(TERRAFORM_DIR)


@pytest.mark.parametrize("interrupted_after", [1, 4, 9])
def test_a_rerun_after_a_destroy_that_stopped_half_way_finishes(
    strict_aws: StrictAws, tmp_path: Path, interrupted_after: int
) -> None:
    stand_in = MotoTerraform(strict_aws.clients)
    tf = terraform(stand_in, tmp_path)
    tf.apply("california", region="us-east-1")
    stand_in.interrupt_after(interrupted_after)
    with pytest.raises(TerraformError):
        tf.destroy("california", region="us-east-1", force=True)
    assert tf.resources("california")  # something is left
    tf.destroy("california", region="us-east-1", force=True)
    assert not any_state_data(strict_aws.clients, "california")
    assert tf.resources("california") == []
