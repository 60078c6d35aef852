"""Static checks of terraform/ with python-hcl2: hardening, tags, pins, variables and outputs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from terraform_support import HclModule

TABLE = ("aws_dynamodb_table", "state_dynamodb")
BUCKET_ID = "${aws_s3_bucket.state_s3.id}"
# Resource types that take tags. The others here are settings of the bucket, or not in AWS at all.
TAGGABLE = {"aws_dynamodb_table", "aws_s3_bucket"}
UNTAGGABLE = {
    "random_string",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
}


def only(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(blocks) == 1, blocks
    return blocks[0]


def type_of(variable: dict[str, Any]) -> str:
    # python-hcl2 renders `bool` bare and `list(string)` as an interpolation: compare the type alone.
    return str(variable["type"]).removeprefix("${").removesuffix("}")


def bucket_setting(module: HclModule, type_: str) -> dict[str, Any]:
    body = module.resource(type_, "state_s3")
    # Every setting applies to the state's own bucket.
    assert body["bucket"] == BUCKET_ID
    return body


# -- DynamoDB ---------------------------------------------------------------------------------------------


def test_table_has_point_in_time_recovery(module: HclModule) -> None:
    assert only(module.resource(*TABLE)["point_in_time_recovery"])["enabled"] is True


def test_table_is_encrypted_at_rest(module: HclModule) -> None:
    assert only(module.resource(*TABLE)["server_side_encryption"])["enabled"] is True


def test_table_deletion_protection_is_a_variable_on_by_default(module: HclModule, root: HclModule) -> None:
    assert module.resource(*TABLE)["deletion_protection_enabled"] == "${var.deletion_protection}"
    for variables in (module.variables, root.variables):
        assert type_of(variables["deletion_protection"]) == "bool"
        assert variables["deletion_protection"]["default"] is True


# -- S3 ---------------------------------------------------------------------------------------------------


def test_bucket_acls_are_disabled(module: HclModule) -> None:
    rule = only(bucket_setting(module, "aws_s3_bucket_ownership_controls")["rule"])
    assert rule["object_ownership"] == "BucketOwnerEnforced"


def test_bucket_blocks_all_public_access(module: HclModule) -> None:
    block = bucket_setting(module, "aws_s3_bucket_public_access_block")
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block[setting] is True, setting


def test_bucket_encrypts_by_default(module: HclModule) -> None:
    rule = only(bucket_setting(module, "aws_s3_bucket_server_side_encryption_configuration")["rule"])
    default = only(rule["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] in {"AES256", "aws:kms", "aws:kms:dsse"}


def test_bucket_is_versioned(module: HclModule) -> None:
    config = only(bucket_setting(module, "aws_s3_bucket_versioning")["versioning_configuration"])
    assert config["status"] == "Enabled"


def test_bucket_policy_refuses_requests_without_tls(module: HclModule) -> None:
    policy = bucket_setting(module, "aws_s3_bucket_policy")
    assert policy["policy"] == "${data.aws_iam_policy_document.state_s3_tls_only.json}"
    document = module.data("aws_iam_policy_document", "state_s3_tls_only")
    deny = [s for s in document["statement"] if s.get("effect") == "Deny"]
    statement = only(deny)
    assert statement["actions"] == ["s3:*"]
    assert sorted(statement["resources"]) == [
        "${aws_s3_bucket.state_s3.arn}",
        "${aws_s3_bucket.state_s3.arn}/*",
    ]
    assert only(statement["principals"]) == {"type": "*", "identifiers": ["*"]}
    condition = only(statement["condition"])
    assert (condition["test"], condition["variable"], condition["values"]) == (
        "Bool",
        "aws:SecureTransport",
        ["false"],
    )


def test_bucket_expires_old_versions(module: HclModule) -> None:
    lifecycle = bucket_setting(module, "aws_s3_bucket_lifecycle_configuration")
    rule = only(lifecycle["rule"])
    assert rule["status"] == "Enabled"
    expiration = only(rule["noncurrent_version_expiration"])
    assert expiration["noncurrent_days"] == "${var.noncurrent_version_expiration_days}"
    variable = module.variables["noncurrent_version_expiration_days"]
    assert isinstance(variable["default"], int) and variable["default"] >= 1
    assert only(rule["abort_incomplete_multipart_upload"])["days_after_initiation"] >= 1
    # Applied only once versioning is on.
    assert "${aws_s3_bucket_versioning.state_s3}" in lifecycle["depends_on"]


def test_bucket_force_destroy_is_a_variable_off_by_default(module: HclModule, root: HclModule) -> None:
    assert module.resource("aws_s3_bucket", "state_s3")["force_destroy"] == "${var.force_destroy}"
    for variables in (module.variables, root.variables):
        assert type_of(variables["force_destroy"]) == "bool"
        assert variables["force_destroy"]["default"] is False


# -- tags -------------------------------------------------------------------------------------------------


def test_every_resource_type_is_known_to_these_tests(module: HclModule) -> None:
    # A new resource type must be sorted into TAGGABLE or UNTAGGABLE, so its tags are never forgotten.
    assert {type_ for type_, _ in module.resources} <= TAGGABLE | UNTAGGABLE


def test_every_taggable_resource_carries_the_state_tag(module: HclModule) -> None:
    assert re.search(r'"humangov:state"\s*=\s*var\.state_name', module.locals["tags"])
    for (type_, name), body in module.resources.items():
        if type_ in TAGGABLE:
            assert body.get("tags") == "${local.tags}", f"{type_}.{name} is not tagged with local.tags"


def test_the_provider_tags_every_resource_as_managed_by_terraform_with_the_run_id(root: HclModule) -> None:
    provider = root.providers["aws"]
    assert provider["region"] == "${var.region}"
    tags = only(provider["default_tags"])["tags"]
    assert '{"humangov:managed-by" = "terraform"}' in tags
    assert '{"humangov:run-id" = var.run_id}' in tags


# -- versions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["root", "module"])
def test_terraform_and_providers_are_pinned(which: str, root: HclModule, module: HclModule) -> None:
    settings = (root if which == "root" else module).settings
    # A lower and an upper bound: no surprise major version on any machine.
    assert re.fullmatch(r">= 1\.\d+\.\d+, < 2\.0\.0", settings["required_version"])
    providers = only(settings["required_providers"])
    assert set(providers) == {"aws", "random"}
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["random"]["source"] == "hashicorp/random"
    for provider in providers.values():
        assert re.fullmatch(r"~> \d+\.\d+", provider["version"]), provider


def test_root_and_module_pin_the_same_versions(root: HclModule, module: HclModule) -> None:
    assert root.settings["required_version"] == module.settings["required_version"]
    assert root.settings["required_providers"] == module.settings["required_providers"]


def test_state_is_local_by_default(root: HclModule) -> None:
    # The remote backend is an example to copy (backend-s3.tf.example), not a default anyone must have.
    assert "backend" not in root.settings


# -- variables --------------------------------------------------------------------------------------------


def test_every_variable_is_typed_and_described(root: HclModule, module: HclModule) -> None:
    for variables in (root.variables, module.variables):
        for name, body in variables.items():
            assert body.get("type"), name
            assert body.get("description"), name


def test_states_must_be_named(root: HclModule) -> None:
    states = root.variables["states"]
    assert type_of(states) == "list(string)"
    assert "default" not in states
    conditions = [v["condition"] for v in states["validation"]]
    assert any("length(var.states) > 0" in c and "distinct(var.states)" in c for c in conditions)
    assert any("contains([" in c for c in conditions)


def test_region_run_id_and_state_name_are_validated(root: HclModule, module: HclModule) -> None:
    assert root.variables["region"]["default"] == "us-east-1"
    assert "regex(" in only(root.variables["region"]["validation"])["condition"]
    assert root.variables["run_id"]["default"] == ""
    assert "regex(" in only(root.variables["run_id"]["validation"])["condition"]
    assert "regex(" in only(module.variables["state_name"]["validation"])["condition"]


# -- outputs ----------------------------------------------------------------------------------------------

MODULE_OUTPUTS = {
    "state_dynamodb_table": "${aws_dynamodb_table.state_dynamodb.name}",
    "state_s3_bucket": "${aws_s3_bucket.state_s3.bucket}",
    "state_dynamodb_table_arn": "${aws_dynamodb_table.state_dynamodb.arn}",
    "state_s3_bucket_arn": "${aws_s3_bucket.state_s3.arn}",
    "state_audit_table": "${aws_dynamodb_table.state_audit.name}",
    "state_audit_table_arn": "${aws_dynamodb_table.state_audit.arn}",
}


def test_module_outputs_name_the_table_and_bucket(module: HclModule) -> None:
    assert {name: body["value"] for name, body in module.outputs.items()} == MODULE_OUTPUTS


def test_root_output_maps_each_state_to_its_table_and_bucket_as_the_seed_did(root: HclModule) -> None:
    value = root.outputs["state_infrastructure_outputs"]["value"]
    head = re.match(r"\$\{\{for state, (\w+) in module\.aws_humangov_infrastructure : state => \{", value)
    assert head, value
    fields = dict(re.findall(rf"(\w+) = {head.group(1)}\.(\w+)", value))

    assert fields == {
        "dynamodb_table": "state_dynamodb_table",
        "s3_bucket": "state_s3_bucket",
        "dynamodb_table_arn": "state_dynamodb_table_arn",
        "s3_bucket_arn": "state_s3_bucket_arn",
    }
    assert set(fields.values()) <= set(MODULE_OUTPUTS)


def test_the_wrapper_reads_the_outputs_terraform_declares(root: HclModule) -> None:
    import json

    from humangov_deploy.data.terraform import OUTPUT_NAME, parse_outputs

    assert OUTPUT_NAME in root.outputs
    value = root.outputs[OUTPUT_NAME]["value"]
    declared = re.findall(r"(\w+) = infrastructure\.", value)
    sample = {"ohio": {name: f"<{name}>" for name in declared}}

    outputs = parse_outputs("ohio", json.dumps(sample))

    assert (outputs.table, outputs.bucket, outputs.table_arn, outputs.bucket_arn) == (
        "<dynamodb_table>",
        "<s3_bucket>",
        "<dynamodb_table_arn>",
        "<s3_bucket_arn>",
    )
