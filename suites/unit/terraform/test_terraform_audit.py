"""Terraform's audit table against the app's schema, with the records table's hardening; the TTL of the
records table's throttle counters. Drift in either direction fails, as for the records table."""

from __future__ import annotations

from typing import Any

import pytest
from terraform_support import MODULE_DIR, HclModule, parse_hcl
from test_terraform_schema import STATE_REF, normalized, table_kwargs_from_hcl

from humangov_deploy import appsrc

AUDIT = ("aws_dynamodb_table", "state_audit")
RECORDS = ("aws_dynamodb_table", "state_dynamodb")
SCHEMA = appsrc.schema()


def audit_drift(table: dict[str, Any], state: str = "california") -> dict[str, Any]:
    expected = normalized(SCHEMA.create_audit_table_kwargs(SCHEMA.audit_table_name(state)))
    actual = normalized(table_kwargs_from_hcl(table, state))
    return {
        k: (actual.get(k), expected.get(k))
        for k in set(expected) | set(actual)
        if actual.get(k) != expected.get(k)
    }


def test_the_audit_table_is_exactly_the_apps_audit_schema(module: HclModule) -> None:
    assert audit_drift(module.resource(*AUDIT)) == {}
    for state in appsrc.states():
        assert module.resource(*AUDIT)["name"].replace(STATE_REF, state) == SCHEMA.audit_table_name(state)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('range_key                   = "sk"', 'range_key                   = "at"'),
        ('name            = "by_user"', 'name            = "by_who"'),
        ('hash_key        = "record_id"', 'hash_key        = "username"'),
        ("-audit", "-log"),
    ],
)
def test_an_audit_table_that_drifts_is_caught(old: str, new: str) -> None:
    text = (MODULE_DIR / "main.tf").read_text()
    assert old in text, f"the mutation no longer applies to main.tf: {old!r}"
    mutated = parse_hcl(text.replace(old, new, 1))
    table = next(
        r[AUDIT[0]][AUDIT[1]] for r in mutated["resource"] if AUDIT[0] in r and AUDIT[1] in r[AUDIT[0]]
    )
    assert audit_drift(table) != {}


def test_the_audit_table_is_hardened_like_the_records_table(module: HclModule) -> None:
    audit, records = module.resource(*AUDIT), module.resource(*RECORDS)
    for key in ("point_in_time_recovery", "server_side_encryption"):
        assert audit[key] == records[key] == [{"enabled": True}], key
    assert audit["deletion_protection_enabled"] == records["deletion_protection_enabled"]
    assert audit["deletion_protection_enabled"] == "${var.deletion_protection}"
    assert audit["tags"] == "${local.tags}"
    assert "ttl" not in audit  # entries never expire


def test_the_records_tables_ttl_is_the_schemas_attribute(module: HclModule) -> None:
    assert module.resource(*RECORDS)["ttl"] == [{"attribute_name": SCHEMA.TTL_ATTR, "enabled": True}]
