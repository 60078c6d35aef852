"""Shared by the aws platform's unit tests: a platform on moto, an inventory of a state, scripted fakes.

moto runs no ECS tasks, gives none an AZ and never moves targets through health states (DESIGN.md), so
the rollout waits are driven by `FakeEcs`/`FakeElbv2`: each poll shows the next frame of a script.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fake_clock import FakeClock
from moto import mock_aws

from humangov_deploy import appsrc
from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import CLUSTER, IAM_PATH, TAG_STATE, names_for
from humangov_deploy.platforms.aws.data import prebuilt_images
from humangov_deploy.platforms.aws.options import AwsOptions
from humangov_deploy.platforms.aws.platform import AwsPlatform

ACCOUNT = "123456789012"
REGION = "us-east-1"
APP_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/humangov-app@sha256:{'a' * 64}"
NGINX_IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/humangov-nginx@sha256:{'b' * 64}"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OWN_SERVICES = ("ecs", "elbv2", "ec2", "iam", "logs", "ssm")


def moto_platform(
    clients: AwsClients,
    *,
    clock: FakeClock | None = None,
    run_id: str = "20261126T120000Z-abcdef",
    now: datetime = NOW,
    app_image: str = APP_IMAGE,
    **options: Any,
) -> AwsPlatform:
    """An AwsPlatform on moto: boto3 data, prebuilt images, the `stable` wait (moto registers no targets)."""
    clock = clock or FakeClock()
    settings: dict[str, Any] = {"data": "boto3", "data_given": False, "wait": "stable", "poll_interval": 1.0}
    settings.update(options)
    return AwsPlatform(
        clients,
        options=AwsOptions(**settings),
        run_id=run_id,
        images=prebuilt_images(app_image, NGINX_IMAGE),
        clock=clock,
        sleep=clock.sleep,
        now=lambda: now,
    )


def inventory(clients: AwsClients, state: str) -> list[str]:
    """Everything of `state` that exists, enumerated service by service (not only through tags)."""
    names = names_for(state)
    found: list[str] = []
    ecs, elbv2, ec2, iam, logs, ssm = (
        clients.ecs,
        clients.elbv2,
        clients.ec2,
        clients.iam,
        clients.logs,
        clients.ssm,
    )
    for status in ("ACTIVE", "INACTIVE"):
        arns = ecs.list_task_definitions(familyPrefix=names.family, status=status)["taskDefinitionArns"]
        found += [f"task-definition {a}" for a in arns if f"/{names.family}:" in a]
    clusters = ecs.describe_clusters(clusters=[CLUSTER])["clusters"]
    if any(c["status"] == "ACTIVE" for c in clusters):
        services = ecs.describe_services(cluster=CLUSTER, services=[names.service])["services"]
        found += [f"service {s['serviceName']}" for s in services if s["status"] != "INACTIVE"]
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        if lb["LoadBalancerName"] == names.load_balancer:
            found.append(f"load-balancer {lb['LoadBalancerName']}")
    for tg in elbv2.describe_target_groups()["TargetGroups"]:
        if tg["TargetGroupName"] == names.target_group:
            found.append(f"target-group {tg['TargetGroupName']}")
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        if group["GroupName"].startswith(names.prefix + "-"):
            found.append(f"security-group {group['GroupName']}")
    for role in iam.list_roles(PathPrefix=IAM_PATH)["Roles"]:
        if role["RoleName"].startswith(names.prefix + "-"):
            found.append(f"role {role['RoleName']}")
    for group in logs.describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]:
        found.append(f"log-group {group['logGroupName']}")
    for parameter in ssm.describe_parameters()["Parameters"]:
        if parameter["Name"].startswith(f"/humangov/{state}/"):
            found.append(f"parameter {parameter['Name']}")
    schema = appsrc.schema()
    for bucket in clients.s3.list_buckets()["Buckets"]:
        if bucket["Name"].startswith(schema.bucket_prefix(state)):
            found.append(f"bucket {bucket['Name']}")
    if schema.table_name(state) in clients.dynamodb.list_tables()["TableNames"]:
        found.append(f"table {schema.table_name(state)}")
    tagged = clients.resourcegroupstaggingapi.get_resources(
        TagFilters=[{"Key": TAG_STATE, "Values": [state]}]
    )
    for item in tagged["ResourceTagMappingList"]:
        arn = item["ResourceARN"]
        if ":service/" in arn or ":task-definition/" in arn:
            continue  # counted above with their status (deleted ones linger in moto as INACTIVE)
        found.append(f"tagged {arn}")
    return sorted(found)


def record_calls(
    clients: AwsClients, services: tuple[str, ...] = OWN_SERVICES
) -> list[tuple[str, str, dict[str, Any]]]:
    """Record every API call (service, operation, params) made from now on through these clients."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for service in services:

        def hook(params: dict[str, Any], model: Any, _service: str = service, **_: Any) -> None:
            calls.append((_service, model.name, params))

        clients.client(service).meta.events.register("provide-client-params.*.*", hook)
    return calls


# --- scripted fakes ------------------------------------------------------------------------------------


def deployment(
    dep_id: str,
    task_definition: str,
    *,
    status: str = "PRIMARY",
    desired: int = 2,
    running: int = 0,
    pending: int = 0,
    rollout: str | None = "IN_PROGRESS",
    reason: str = "",
    failed: int = 0,
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": dep_id,
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "failedTasks": failed,
        "createdAt": NOW,
    }
    if rollout is not None:
        raw["rolloutState"] = rollout
        raw["rolloutStateReason"] = reason
    return raw


def service(
    deployments: list[dict[str, Any]], *, desired: int = 2, events: tuple[str, ...] = ()
) -> dict[str, Any]:
    primary = next(d for d in deployments if d["status"] == "PRIMARY")
    return {
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/humangov-texas-service",
        "serviceName": "humangov-texas-service",
        "status": "ACTIVE",
        "taskDefinition": primary["taskDefinition"],
        "desiredCount": desired,
        "runningCount": sum(d["runningCount"] for d in deployments),
        "pendingCount": sum(d["pendingCount"] for d in deployments),
        "deployments": deployments,
        "events": [{"message": m} for m in events],
    }


def stopped_task(
    task_id: str,
    task_definition: str,
    started_by: str,
    *,
    stop_code: str,
    reason: str,
    container_reason: str = "",
) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}",
        "taskDefinitionArn": task_definition,
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "startedBy": started_by,
        "stopCode": stop_code,
        "stoppedReason": reason,
        "containers": [{"name": "app", "reason": container_reason}] if container_reason else [],
    }


def target(ip: str, state: str, reason: str = "") -> dict[str, Any]:
    health: dict[str, Any] = {"State": state}
    if reason:
        health.update(Reason=reason, Description=reason)
    return {"Target": {"Id": ip, "Port": 80}, "TargetHealth": health}


def throttled(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


@dataclass
class Frame:
    """What ECS and ELBv2 show during one poll; an exception in `error` is raised by DescribeServices."""

    service: dict[str, Any] | None = None
    stopped: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    error: Exception | None = None


class _Paginator:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        yield from self.pages


class Script:
    """The frames a wait sees, one per DescribeServices call (the last frame repeats)."""

    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames
        self.index = -1
        self.calls: list[str] = []

    @property
    def frame(self) -> Frame:
        return self.frames[min(self.index, len(self.frames) - 1)]


class FakeEcs:
    def __init__(self, script: Script) -> None:
        self.script = script

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        self.script.index += 1
        self.script.calls.append("DescribeServices")
        frame = self.script.frame
        if frame.error is not None:
            raise frame.error
        return {"services": [frame.service] if frame.service else [], "failures": []}

    def get_paginator(self, name: str) -> _Paginator:
        assert name == "list_tasks"
        return _Paginator([{"taskArns": [t["taskArn"] for t in self.script.frame.stopped]}])

    def describe_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self.script.calls.append("DescribeTasks")
        wanted = set(kwargs["tasks"])
        return {"tasks": [t for t in self.script.frame.stopped if t["taskArn"] in wanted]}


class FakeElbv2:
    def __init__(self, script: Script) -> None:
        self.script = script

    def describe_target_health(self, **kwargs: Any) -> dict[str, Any]:
        self.script.calls.append("DescribeTargetHealth")
        return {"TargetHealthDescriptions": self.script.frame.targets}


def fake_clients(script: Script) -> AwsClients:
    clients = AwsClients(region=REGION)
    clients._cache["ecs"] = FakeEcs(script)
    clients._cache["elbv2"] = FakeElbv2(script)
    return clients


@contextmanager
def deployed_stack_session(state: str = "texas") -> Iterator[boto3.session.Session]:
    """One stack on moto for a whole test module (status tests only read it); clients come from the session.

    Credentials as suites/unit/conftest.py sets them (its fixture is per test, this is per module);
    MOTO_ECS_SERVICE_RUNNING: moto's service would report no running task (DESIGN.md). One session, so
    clients made from it reuse its loaded service models (a new session reloads them).
    """
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_SESSION_TOKEN", "testing"), ("MOTO_ECS_SERVICE_RUNNING", "2")):  # fmt: skip
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        session = boto3.session.Session(region_name=REGION)
        moto_platform(AwsClients(region=REGION, session=session)).deploy(
            state, timeout=300, progress=lambda _m: None
        )
        yield session
