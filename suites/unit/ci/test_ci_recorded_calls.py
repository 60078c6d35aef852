"""A second source for the policy: the AWS calls the CLI really makes, recorded on moto.

The static scan (humangov_deploy.iam_actions) reads call sites; this test runs deploy (twice: create,
then the idempotent path), status, destroy and sweep on moto, records every operation botocore sends,
and checks that each one's IAM action is in the derived set and allowed by the bootstrap policy. A call
the scan cannot see (a client passed under another name, a helper of boto3) fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import botocore.client
import pytest
from moto import mock_aws

from humangov_deploy import iam_actions as ia
from humangov_deploy.cli import main

REGION = "us-east-1"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
APP_IMAGE = f"{REGISTRY}/humangov-app@sha256:{'a' * 64}"
NGINX_IMAGE = f"{REGISTRY}/humangov-nginx@sha256:{'b' * 64}"


@pytest.fixture(scope="module")
def recorded() -> Iterator[set[tuple[str, str]]]:
    calls: set[tuple[str, str]] = set()
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    patch = pytest.MonkeyPatch()
    patch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    # moto reports no running task unless told before CreateService (DESIGN.md, known limits of moto).
    patch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):  # fmt: skip
        patch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        patch.delenv(name, raising=False)
    try:
        with mock_aws():
            stack = ["--state", "texas", "--platform", "aws", "--region", REGION, "--poll-interval", "0"]
            deploy = ["deploy", *stack, "--data", "boto3", "--app-image", APP_IMAGE,
                      "--nginx-image", NGINX_IMAGE, "--wait", "stable", "--timeout", "120"]  # fmt: skip
            codes = {
                "deploy": main(deploy),
                "redeploy": main(deploy),
                "status": main(["status", *stack[:6], "--json"]),
                "destroy": main(["destroy", *stack]),
                "sweep": main(["sweep", "--older-than", "0s", "--region", REGION, "--poll-interval", "0"]),
            }
        assert codes == dict.fromkeys(codes, 0), f"the CLI failed on moto: {codes}"
        yield calls
    finally:
        patch.undo()


def test_the_run_made_aws_calls(recorded: set[tuple[str, str]]) -> None:
    services = {service for service, _ in recorded}
    assert {"ecs", "elbv2", "iam", "ec2", "s3", "dynamodb"} <= services, services


def test_every_recorded_call_is_derived_from_the_code(recorded: set[tuple[str, str]]) -> None:
    derived = ia.library_actions()
    missing = sorted(
        f"{s}.{op} -> {a}" for s, op in recorded for a in ia.iam_actions(s, op) if a not in derived
    )
    assert missing == [], "iam_actions' scan missed these calls: call clients.<service>.<operation> literally"


def test_every_recorded_call_is_allowed_by_the_bootstrap_policy(recorded: set[tuple[str, str]]) -> None:
    document = json.loads(ia.LIBRARY_POLICY.read_text(encoding="utf-8"))
    allowed = [a.lower() for st in document["Statement"] if st["Effect"] == "Allow" for a in st["Action"]]
    actions = {a for s, op in recorded for a in ia.iam_actions(s, op)}
    assert sorted(a for a in actions if not any(fnmatchcase(a.lower(), p) for p in allowed)) == []
