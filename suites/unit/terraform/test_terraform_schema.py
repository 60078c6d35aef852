"""Drift tests: the Terraform module's table, names and state list against the app's one source of truth.

The app's storage schema (containers/app/humangov/schema.py) and state list (states.py) are read through
`humangov_deploy.appsrc`; any difference with the HCL fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from terraform_support import MODULE_DIR, HclModule, parse_hcl

from humangov_deploy import appsrc
from humangov_deploy.appsrc import TERRAFORM_DIR

TABLE = ("aws_dynamodb_table", "state_dynamodb")
BUCKET = ("aws_s3_bucket", "state_s3")
STATE_REF = "${var.state_name}"


def table_kwargs_from_hcl(table: dict[str, Any], state: str) -> dict[str, Any]:
    """The table block in DynamoDB CreateTable's shape, as `schema.create_table_kwargs` returns it."""
    kwargs: dict[str, Any] = {
        "TableName": table["name"].replace(STATE_REF, state),
        "BillingMode": table["billing_mode"],
        "KeySchema": [{"AttributeName": table["hash_key"], "KeyType": "HASH"}],
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in table.get("attribute", [])
        ],
    }
    if "range_key" in table:
        kwargs["KeySchema"].append({"AttributeName": table["range_key"], "KeyType": "RANGE"})
    indexes = []
    for index in table.get("global_secondary_index", []):
        keys = [{"AttributeName": index["hash_key"], "KeyType": "HASH"}]
        if "range_key" in index:
            keys.append({"AttributeName": index["range_key"], "KeyType": "RANGE"})
        projection: dict[str, Any] = {"ProjectionType": index["projection_type"]}
        if "non_key_attributes" in index:
            projection["NonKeyAttributes"] = index["non_key_attributes"]
        indexes.append({"IndexName": index["name"], "KeySchema": keys, "Projection": projection})
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = indexes
    if table.get("local_secondary_index"):
        kwargs["LocalSecondaryIndexes"] = table["local_secondary_index"]
    return kwargs


def normalized(kwargs: dict[str, Any]) -> dict[str, Any]:
    # Order of attribute definitions and indexes carries no meaning in DynamoDB.
    result = dict(kwargs)
    result["AttributeDefinitions"] = sorted(kwargs["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    if "GlobalSecondaryIndexes" in kwargs:
        result["GlobalSecondaryIndexes"] = sorted(
            kwargs["GlobalSecondaryIndexes"], key=lambda i: i["IndexName"]
        )
    return result


def schema_drift(table: dict[str, Any], state: str = "california") -> dict[str, Any]:
    """What differs between the HCL table and the app's schema: {} when they agree."""
    schema = appsrc.schema()
    expected = normalized(schema.create_table_kwargs(schema.table_name(state)))
    actual = normalized(table_kwargs_from_hcl(table, state))
    keys = set(expected) | set(actual)
    return {key: (actual.get(key), expected.get(key)) for key in keys if actual.get(key) != expected.get(key)}


def states_in_validation(variable: dict[str, Any]) -> list[str]:
    """The state slugs of the `contains([...], state)` validation of the root `states` variable."""
    for validation in variable["validation"]:
        found = re.search(r"contains\(\[(.*?)\]", validation["condition"], re.DOTALL)
        if found:
            return re.findall(r'"([^"]*)"', found.group(1))
    raise AssertionError("no validation of var.states lists the states")


def test_the_table_is_exactly_the_apps_storage_schema(module: HclModule) -> None:
    assert schema_drift(module.resource(*TABLE)) == {}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('projection_type = "ALL"', 'projection_type = "KEYS_ONLY"'),
        ('name = "sort_name"\n    type = "S"', 'name = "sort_name"\n    type = "N"'),
        ('range_key       = "sort_name"', 'range_key       = "sort_namex"'),
        ('billing_mode                = "PAY_PER_REQUEST"', 'billing_mode                = "PROVISIONED"'),
        ('hash_key                    = "id"', 'hash_key                    = "record_id"'),
        ('name            = "by_name"', 'name            = "by_last_name"'),
        ("-dynamodb", "-table"),
    ],
)
def test_a_table_that_drifts_from_the_schema_is_caught(old: str, new: str) -> None:
    text = (MODULE_DIR / "main.tf").read_text()
    assert old in text, f"the mutation no longer applies to main.tf: {old!r}"

    mutated = parse_hcl(text.replace(old, new, 1))
    table = next(r[TABLE[0]][TABLE[1]] for r in mutated["resource"] if TABLE[0] in r)

    assert schema_drift(table) != {}


def test_a_schema_that_drifts_from_the_table_is_caught(
    module: HclModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = appsrc.schema()
    monkeypatch.setattr(schema, "ATTRIBUTE_TYPES", {**schema.ATTRIBUTE_TYPES, "email": "S"})

    assert "AttributeDefinitions" in schema_drift(module.resource(*TABLE))


def test_table_and_bucket_names_follow_the_schema_for_every_state(module: HclModule) -> None:
    schema = appsrc.schema()
    table_name = module.resource(*TABLE)["name"]
    bucket_name = module.resource(*BUCKET)["bucket"]
    suffix = module.resource("random_string", "bucket_suffix")
    suffix_ref = "${random_string.bucket_suffix.result}"
    assert bucket_name.endswith(suffix_ref)
    assert (suffix["length"], suffix["upper"], suffix["special"], suffix["numeric"]) == (
        schema.BUCKET_SUFFIX_LENGTH,
        False,
        False,
        False,
    )

    for state in appsrc.states():
        assert table_name.replace(STATE_REF, state) == schema.table_name(state)
        prefix = bucket_name.removesuffix(suffix_ref).replace(STATE_REF, state)
        assert prefix == schema.bucket_prefix(state)
        # S3's rules for the longest name this can make: 3-63 characters, lowercase, digits and dashes.
        bucket = prefix + "x" * schema.BUCKET_SUFFIX_LENGTH
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket), bucket
        assert re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", schema.table_name(state))


def test_the_states_validation_lists_exactly_the_apps_states(root: HclModule) -> None:
    assert states_in_validation(root.variables["states"]) == list(appsrc.states())


def test_a_states_list_that_drifts_is_caught() -> None:
    text = (TERRAFORM_DIR / "variables.tf").read_text().replace('"wyoming",', "", 1)
    variables = {k: v for item in parse_hcl(text)["variable"] for k, v in item.items()}

    assert states_in_validation(variables["states"]) != list(appsrc.states())


def test_the_all_states_example_lists_exactly_the_apps_states() -> None:
    values = parse_hcl((TERRAFORM_DIR / "all-states.tfvars").read_text())

    assert values["states"] == list(appsrc.states())


def test_the_module_is_called_once_per_state_with_its_slug(root: HclModule) -> None:
    call = root.modules["aws_humangov_infrastructure"]

    assert call["source"] == "./modules/aws_humangov_infrastructure"
    assert call["for_each"] == "${toset(var.states)}"
    assert call["state_name"] == "${each.value}"
    assert call["deletion_protection"] == "${var.deletion_protection}"
    assert call["force_destroy"] == "${var.force_destroy}"
    module_variables = HclModule.load(MODULE_DIR).variables
    passed = set(call) - {"source", "for_each"}
    assert passed <= set(module_variables)
    required = {name for name, body in module_variables.items() if "default" not in body}
    assert required <= passed
