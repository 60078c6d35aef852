"""A second source for the policy: the AWS calls the CLI really makes, recorded on moto.

The static scan (humangov_deploy.iam_actions) reads call sites; this test runs deploy (twice: create,
then the idempotent path), status, destroy and sweep on moto, records every operation botocore sends,
and checks that each one's IAM action is in the derived set and allowed by the bootstrap policy. A call
the scan cannot see (a client passed under another name, a helper of boto3) fails here.

EC2, ECS and ELB calls are also evaluated with the context IAM would see (suites/unit/iam_eval.py): the
tags the request sets (aws:RequestTag), the tags of the resource it changes (aws:ResourceTag, read from
moto just before the call), the create action behind a tag-on-create: the policy's tag conditions must
allow every call a deploy, redeploy, destroy and sweep make, and refuse the same calls on untagged things.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import boto3
import botocore.client
import pytest
from iam_eval import Request, evaluate
from moto import mock_aws

from humangov_deploy import iam_actions as ia
from humangov_deploy.cli import main

REGION = "us-east-1"
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
APP_IMAGE = f"{REGISTRY}/humangov-app@sha256:{'a' * 64}"
NGINX_IMAGE = f"{REGISTRY}/humangov-nginx@sha256:{'b' * 64}"


GOVERNED = {"ec2": "ec2", "ecs": "ecs", "elbv2": "elasticloadbalancing"}
MANAGED = "humangov:managed-by"
# The tag-on-create actions AWS authorizes alongside a create that carries tags (iam_actions' IMPLIED).
TAG_ON_CREATE = {"ec2": "ec2:CreateTags", "ecs": "ecs:TagResource", "elbv2": "elasticloadbalancing:AddTags"}
ARN = f"{REGION}:123456789012"
# (service, operation, resource ARN, IAM context) per governed call
CONTEXTS: list[tuple[str, str, str, dict[str, str]]] = []
_looking = False  # the tag lookups below go through botocore too: do not record them


def _request_tags(params: dict[str, Any]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in params.get("Tags") or params.get("tags") or []:
        tags[item.get("Key", item.get("key"))] = item.get("Value", item.get("value"))
    for spec in params.get("TagSpecifications") or []:
        tags.update({t["Key"]: t["Value"] for t in spec.get("Tags", [])})
    return tags


def _resource_tags(service: str, params: dict[str, Any]) -> dict[str, str] | None:
    """The tags of the existing resource a call changes, as moto holds them (None: no such resource named)."""
    if service == "ec2" and "GroupId" in params:
        groups = boto3.client("ec2", region_name=REGION).describe_security_groups(
            GroupIds=[params["GroupId"]]
        )
        return {t["Key"]: t["Value"] for t in groups["SecurityGroups"][0].get("Tags", [])}
    if service == "elbv2":
        for key in ("ListenerArn", "LoadBalancerArn", "TargetGroupArn"):
            if key in params:
                found = boto3.client("elbv2", region_name=REGION).describe_tags(ResourceArns=[params[key]])
                return {t["Key"]: t["Value"] for t in found["TagDescriptions"][0].get("Tags", [])}
    if service == "ecs":
        ecs = boto3.client("ecs", region_name=REGION)
        arn = params.get("resourceArn")
        if "service" in params and "cluster" in params:
            described = ecs.describe_services(cluster=params["cluster"], services=[params["service"]])
            arn = described["services"][0]["serviceArn"]
        elif "taskDefinitions" in params:
            arn = params["taskDefinitions"][0]
        elif "cluster" in params and not params.get("serviceName") and "task" not in params:
            arn = ecs.describe_clusters(clusters=[params["cluster"]])["clusters"][0]["clusterArn"]
        if arn:
            return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])}
    return None


def _resource(service: str, operation: str, params: dict[str, Any]) -> str:
    """The ARN IAM authorizes the call on ("*" for an action that takes no resource)."""
    if service == "ec2":
        if "GroupId" in params:
            return f"arn:aws:ec2:{ARN}:security-group/{params['GroupId']}"
        return f"arn:aws:ec2:{ARN}:security-group/*" if operation == "CreateSecurityGroup" else "*"
    if service == "elbv2":
        for key in ("ListenerArn", "LoadBalancerArn", "TargetGroupArn", "ResourceArns"):
            if key in params:
                return str(params[key][0] if key == "ResourceArns" else params[key])
        if operation == "CreateLoadBalancer":
            return f"arn:aws:elasticloadbalancing:{ARN}:loadbalancer/app/{params['Name']}/new"
        if operation == "CreateTargetGroup":
            return f"arn:aws:elasticloadbalancing:{ARN}:targetgroup/{params['Name']}/new"
        return "*"
    cluster = str(params.get("cluster", "")).rsplit("/", 1)[-1]
    if "resourceArn" in params:
        return str(params["resourceArn"])
    if "taskDefinitions" in params:
        return str(params["taskDefinitions"][0])
    if operation == "RegisterTaskDefinition":
        return f"arn:aws:ecs:{ARN}:task-definition/{params['family']}:1"
    if operation in ("CreateService", "UpdateService", "DeleteService"):
        return f"arn:aws:ecs:{ARN}:service/{cluster}/{params.get('serviceName') or params['service']}"
    if operation == "DescribeServices":
        return f"arn:aws:ecs:{ARN}:service/{cluster}/{params['services'][0]}"
    if operation in ("StopTask", "DescribeTasks"):
        task = str(params.get("task") or params["tasks"][0]).rsplit("/", 1)[-1]
        return f"arn:aws:ecs:{ARN}:task/{cluster}/{task}"
    if operation in ("CreateCluster", "DeleteCluster", "DescribeClusters"):
        name = params.get("clusterName") or params.get("cluster") or params["clusters"][0]
        return f"arn:aws:ecs:{ARN}:cluster/{str(name).rsplit('/', 1)[-1]}"
    return "*"


def _context(service: str, operation: str, params: dict[str, Any]) -> dict[str, str]:
    context = {f"aws:RequestTag/{k}": v for k, v in _request_tags(params).items()}
    if service == "ecs" and "cluster" in params:
        cluster = str(params["cluster"])
        context["ecs:cluster"] = (
            cluster
            if cluster.startswith("arn:")
            else (f"arn:aws:ecs:{REGION}:123456789012:cluster/{cluster}")
        )
    if not operation.startswith(("Create", "Register", "Describe", "List", "Get")):
        tags = _resource_tags(service, params)
        context.update({f"aws:ResourceTag/{k}": v for k, v in (tags or {}).items()})
    return context


@pytest.fixture(scope="module")
def recorded() -> Iterator[set[tuple[str, str]]]:
    calls: set[tuple[str, str]] = set()
    original = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        global _looking
        service = self.meta.service_model.service_name
        if not _looking:
            calls.add((service, operation_name))
            if service in GOVERNED:
                _looking = True
                try:
                    resource = _resource(service, operation_name, api_params)
                    CONTEXTS.append(
                        (service, operation_name, resource, _context(service, operation_name, api_params))
                    )
                finally:
                    _looking = False
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
    document = _policy()
    allowed = [a.lower() for st in document["Statement"] if st["Effect"] == "Allow" for a in st["Action"]]
    actions = {a for s, op in recorded for a in ia.iam_actions(s, op)}
    assert sorted(a for a in actions if not any(fnmatchcase(a.lower(), p) for p in allowed)) == []


def _policy() -> dict[str, Any]:
    """The library's two policies as one (IAM evaluates every policy attached to the role together)."""
    boundary = "arn:aws:iam::123456789012:policy/humangov-boundary"
    statements = []
    for path in (ia.LIBRARY_POLICY, ia.COMPUTE_POLICY):
        text = ia.instantiate(
            path.read_text(encoding="utf-8"), partition="aws", permissions_boundary_arn=boundary
        )
        statements += json.loads(text)["Statement"]
    return {"Version": "2012-10-17", "Statement": statements}


def _requests(service: str, operation: str, resource: str, context: dict[str, str]) -> list[Request]:
    out = [Request(action, resource, context) for action in ia.iam_actions(service, operation)]
    if any(k.startswith("aws:RequestTag/") for k in context) and operation.startswith(("Create", "Register")):
        tagging = {**context, f"{GOVERNED[service]}:CreateAction": operation}
        out.append(Request(TAG_ON_CREATE[service], resource, tagging))
    return out


def test_the_tag_conditions_allow_every_governed_call_the_run_made(recorded: set[tuple[str, str]]) -> None:
    policy = _policy()
    assert CONTEXTS, "no EC2, ECS or ELB call was recorded"
    refused = sorted({
        f"{r.action} {r.resource} {sorted(r.context.items())}"
        for service, operation, resource, context in CONTEXTS
        for r in _requests(service, operation, resource, context)
        if evaluate(policy, r) != "allow"
    })  # fmt: skip
    assert refused == []


def test_the_same_calls_on_resources_without_the_tag_are_refused(recorded: set[tuple[str, str]]) -> None:
    policy = _policy()
    checked = 0
    for service, operation, resource, context in CONTEXTS:
        if not any(MANAGED in key for key in context) or operation.startswith(("Describe", "List")):
            continue  # a read, or a call IAM cannot condition on a tag
        bare = {k: v for k, v in context.items() if MANAGED not in k}
        for request in _requests(service, operation, resource, bare):
            checked += 1
            assert evaluate(policy, request) == "implicit-deny", request
    assert checked >= 10, "too few conditioned calls: the run or the recording changed"
