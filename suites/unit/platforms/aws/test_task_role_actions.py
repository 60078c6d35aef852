"""The task role's rights, pinned: the exact actions and resources, and that they cover what the app calls.

A destructive action slipping into the role (dynamodb:DeleteTable, dynamodb:Scan, s3:DeleteBucket,
s3:PutBucketPolicy, ...) would give every request handler of the app the power to destroy or read out a
state's data; moto enforces no IAM policy (DESIGN.md), so nothing else would notice.
"""

from __future__ import annotations

import io
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest
from moto import mock_aws

from humangov_deploy import appsrc
from humangov_deploy.iam_actions import TRANSACTION_ITEM_ACTIONS, iam_actions
from humangov_deploy.platforms.aws import spec

STATE = "texas"
PASSWORD = "task role test password"
TABLE = appsrc.schema().table_name(STATE)
BUCKET = f"{appsrc.schema().bucket_prefix(STATE)}abcd"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
REFS = spec.DataRefs(TABLE, BUCKET, TABLE_ARN, BUCKET_ARN)
AUDIT_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{appsrc.schema().audit_table_name(STATE)}"

EXPECTED = {
    "StateTable": (
        {
            "dynamodb:DeleteItem",
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
        },
        [TABLE_ARN, f"{TABLE_ARN}/index/*"],
    ),
    "StateAudit": (
        {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
        [AUDIT_ARN, f"{AUDIT_ARN}/index/*"],
    ),
    "StateBucket": ({"s3:ListBucket"}, [BUCKET_ARN]),
    "StateDocuments": ({"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, [f"{BUCKET_ARN}/*"]),
}
DESTRUCTIVE = {
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:Scan",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteBackup",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTimeToLive",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:DeleteObjectVersion",
    "s3:PutBucketPublicAccessBlock",
}


def statements() -> dict[str, dict[str, Any]]:
    policy = spec.task_role_policy(REFS)
    assert policy["Version"] == "2012-10-17"
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert len(by_sid) == len(policy["Statement"])  # no two statements share a Sid
    return by_sid


def granted() -> set[str]:
    return {action for s in statements().values() for action in s["Action"]}


def test_the_task_role_allows_exactly_these_actions_on_exactly_these_resources() -> None:
    found = statements()
    assert set(found) == set(EXPECTED)
    for sid, (actions, resources) in EXPECTED.items():
        statement = found[sid]
        # Only Allow with plain Action and Resource: NotAction/NotResource would grant everything else.
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}, sid
        assert statement["Effect"] == "Allow", sid
        assert sorted(statement["Action"]) == sorted(actions), sid
        assert len(statement["Action"]) == len(actions), sid  # no duplicates hiding a change
        assert statement["Resource"] == resources, sid


@pytest.mark.parametrize("action", sorted(DESTRUCTIVE))
def test_no_destructive_or_bulk_read_action(action: str) -> None:
    service = action.split(":")[0]
    assert action not in granted()
    assert f"{service}:*" not in granted() and "*" not in granted()


def test_the_role_names_no_other_bucket_or_table_and_no_wildcard_resource() -> None:
    for statement in statements().values():
        for resource in statement["Resource"]:
            assert resource in (
                *(TABLE_ARN, f"{TABLE_ARN}/index/*", BUCKET_ARN, f"{BUCKET_ARN}/*"),
                *(AUDIT_ARN, f"{AUDIT_ARN}/index/*"),
            )


def test_every_call_the_app_makes_is_allowed() -> None:
    """Run the app's whole flow on moto, record each AWS operation, and map it to its IAM action."""
    humangov = pytest.importorskip("humangov", reason="the app's dependencies (flask) are not installed")
    from humangov import accounts, schema
    from humangov.identity import EXTENSION_KEY as IDENTITY_KEY
    from humangov.storage import EXTENSION_KEY

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    headers = {"X-HumanGov-Request": "1"}
    calls: set[tuple[str, str]] = set()
    with mock_aws():
        app = humangov.create_app(
            {
                "US_STATE": STATE,
                "AWS_REGION": "us-east-1",
                "AWS_DYNAMODB_TABLE": TABLE,
                "AWS_BUCKET": BUCKET,
                "SECRET_KEY": "unit-test-secret-key-0123456789abcdef",
                "TESTING": "1",
            }
        )
        storage = app.extensions[EXTENSION_KEY]
        identity = app.extensions[IDENTITY_KEY]  # users, tokens, the sign-in throttle, the audit trail
        storage.dynamodb.create_table(**schema.create_table_kwargs(TABLE))
        storage.dynamodb.create_table(**schema.create_audit_table_kwargs(schema.audit_table_name(STATE)))
        storage.s3.create_bucket(Bucket=BUCKET)
        identity.call(accounts.add_user, "ada", "admin", password=PASSWORD, now=identity.clock)
        _, token = identity.call(accounts.create_token, "ada", now=identity.clock)
        for client in (storage.dynamodb, storage.s3, identity.dynamodb):
            prefix = client.meta.service_model.service_name

            def record(model: Any, params: Any = None, _prefix: str = prefix, **_: Any) -> None:
                if model.name == "TransactWriteItems":  # authorized item by item (iam_actions' catalog)
                    for item in (params or {}).get("TransactItems", []):
                        calls.update(("iam", TRANSACTION_ITEM_ACTIONS[kind]) for kind in item)
                    return
                calls.add((_prefix, model.name))

            # Also fires for presigned URLs: the browser's GET is signed with the task role's rights.
            client.meta.events.register("provide-client-params.*.*", record)
        web = app.test_client()
        # Sign in through the form (a failure first: the throttle's counter is written and cleared).
        for password in ("not the password", PASSWORD):
            page = web.get("/login").get_data(as_text=True)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            web.post("/login", data={"username": "ada", "password": password, "csrf_token": csrf})
        assert web.get("/records").status_code == 200
        bearer = {"Authorization": f"Bearer {token}"}
        assert app.test_client().get("/api/employees", headers=bearer).status_code == 200
        form = {"first_name": "Ada", "last_name": "Lovelace", "role": "Teacher", "salary": "1"}
        created = web.post(
            "/api/employees", data={**form, "pdf": (io.BytesIO(pdf), "a.pdf")}, headers=headers
        )
        assert created.status_code == 201
        record_id = created.get_json()["id"]
        assert web.get("/readyz").status_code == 200
        assert web.get("/records").status_code == 200
        assert web.get("/search?name=ada").status_code == 200
        assert web.get(f"/api/employees/{record_id}").status_code == 200
        assert web.get(f"/records/pdf/{record_id}").status_code == 302
        edited = web.patch(
            f"/api/employees/{record_id}", data={"pdf": (io.BytesIO(pdf), "b.pdf")}, headers=headers
        )
        assert edited.status_code == 200
        assert web.delete(f"/api/employees/{record_id}", headers=headers).status_code == 204
        assert web.get(f"/audit?record={record_id}").status_code == 200
        assert web.get("/api/audit?user=ada").status_code == 200
        assert web.get("/admin/users").status_code == 200
    needed = {
        action
        for service, operation in calls
        for action in ((operation,) if service == "iam" else iam_actions(service, operation))
    }
    assert {"dynamodb:PutItem", "dynamodb:Query", "s3:PutObject", "s3:GetObject"} <= needed  # it ran
    # IAM matches actions case-insensitively, with wildcards.
    patterns = [p.lower() for p in granted()]
    assert [a for a in sorted(needed) if not any(fnmatchcase(a.lower(), p) for p in patterns)] == []
