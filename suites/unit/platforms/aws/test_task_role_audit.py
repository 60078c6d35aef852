"""The task role can append to the state's audit trail and read it, never change or delete an entry.

Read from the policy itself (moto enforces no IAM policy): every statement whose resources reach the audit
table, by name or by a wildcard IAM would match, is checked for the actions that could rewrite history.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from humangov_deploy import appsrc
from humangov_deploy.platforms.aws import spec

STATE = "texas"
SCHEMA = appsrc.schema()
ACCOUNT = "arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012"
TABLE_ARN = f"{ACCOUNT}:table/{SCHEMA.table_name(STATE)}"
AUDIT_ARN = f"{ACCOUNT}:table/{SCHEMA.audit_table_name(STATE)}"
REFS = spec.DataRefs(SCHEMA.table_name(STATE), "humangov-texas-s3-abcd", TABLE_ARN, "arn:aws-us-gov:s3:::b")
REWRITES = (
    *("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate"),
    *("dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:DeleteTable", "dynamodb:UpdateTable"),
    *("dynamodb:RestoreTableToPointInTime", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive"),
)
AUDIT_RESOURCES = (AUDIT_ARN, f"{AUDIT_ARN}/index/{SCHEMA.AUDIT_BY_RECORD_INDEX}")


def granted_on(resource: str) -> set[str]:
    """Every action pattern of an Allow statement whose Resource matches `resource` (IAM: wildcards)."""
    found: set[str] = set()
    for statement in spec.task_role_policy(REFS)["Statement"]:
        assert (
            statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        )
        if any(fnmatchcase(resource, pattern) for pattern in statement["Resource"]):
            found.update(statement["Action"])
    return found


def allows(patterns: set[str], action: str) -> bool:
    return any(fnmatchcase(action.lower(), p.lower()) for p in patterns)


def test_the_audit_table_is_next_to_the_records_table_in_the_same_partition() -> None:
    assert spec.audit_table_arn(TABLE_ARN) == AUDIT_ARN


@pytest.mark.parametrize("resource", AUDIT_RESOURCES)
def test_the_task_role_may_append_and_read_the_audit_trail(resource: str) -> None:
    patterns = granted_on(resource)
    assert allows(patterns, "dynamodb:Query")
    if "/index/" not in resource:
        assert allows(patterns, "dynamodb:PutItem") and allows(patterns, "dynamodb:GetItem")


@pytest.mark.parametrize("resource", AUDIT_RESOURCES)
@pytest.mark.parametrize("action", REWRITES)
def test_the_task_role_can_neither_change_nor_delete_an_audit_entry(resource: str, action: str) -> None:
    assert not allows(granted_on(resource), action)


def test_the_records_tables_rights_do_not_reach_the_audit_table() -> None:
    records = granted_on(TABLE_ARN)
    assert allows(records, "dynamodb:DeleteItem")  # records can be deleted...
    assert not allows(granted_on(AUDIT_ARN), "dynamodb:DeleteItem")  # ...audit entries cannot
