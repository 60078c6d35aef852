"""AWS `status`: a task is healthy only when the target with its private IP is `healthy`.

`verify`'s `targets` check and the live suite trust `TaskInfo.healthy`, so the matching of tasks to
targets by private IP is pinned here. moto runs no ECS tasks and reports every target healthy (DESIGN.md),
so the stack is deployed on moto and only ListTasks/DescribeTasks/DescribeTargetHealth are scripted.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_testkit import ACCOUNT, REGION, deployed_stack_session, target

from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import CLUSTER, names_for
from humangov_deploy.platforms.aws.status import stack_status
from humangov_deploy.platforms.base import TaskInfo


def task(
    task_id: str, ip: str | None, az: str | None = "us-east-1a", status: str = "RUNNING"
) -> dict[str, Any]:
    """A Fargate task as DescribeTasks shows it: its private IP is a detail of its ENI attachment."""
    raw: dict[str, Any] = {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{CLUSTER}/{task_id}",
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/humangov-texas-fullstack:1",
        "lastStatus": status,
        "desiredStatus": "RUNNING",
        "attachments": [],
    }
    if az is not None:
        raw["availabilityZone"] = az
    if ip is not None:
        raw["attachments"].append(
            {
                "type": "ElasticNetworkInterface",
                "details": [
                    {"name": "subnetId", "value": "subnet-1"},
                    {"name": "privateIPv4Address", "value": ip},
                ],
            }
        )
    return raw


class _Pages:
    def __init__(self, pages: list[dict[str, Any]], calls: list[dict[str, Any]]) -> None:
        self.pages, self.calls = pages, calls

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        yield from self.pages


class TasksOverlay:
    """The moto ECS client, except that the service has these tasks (moto runs none)."""

    def __init__(self, real: Any, tasks: list[dict[str, Any]]) -> None:
        self.real, self.tasks = real, tasks
        self.list_calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> Any:
        if name == "list_tasks":
            return _Pages([{"taskArns": [t["taskArn"] for t in self.tasks]}], self.list_calls)
        return self.real.get_paginator(name)

    def describe_tasks(self, **kwargs: Any) -> dict[str, Any]:
        return {"tasks": [t for t in self.tasks if t["taskArn"] in kwargs["tasks"]], "failures": []}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class TargetsOverlay:
    """The moto ELBv2 client, except for the target group's health (moto reports every target healthy)."""

    def __init__(self, real: Any, targets: list[dict[str, Any]]) -> None:
        self.real, self.targets = real, targets

    def describe_target_health(self, **kwargs: Any) -> dict[str, Any]:
        return {"TargetHealthDescriptions": self.targets}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture(scope="module")
def _stack() -> Iterator[boto3.session.Session]:
    with deployed_stack_session("texas") as session:
        yield session


@pytest.fixture
def deployed(_stack: boto3.session.Session) -> AwsClients:
    return AwsClients(region=REGION, session=_stack)


def status_with(
    clients: AwsClients, tasks: list[dict[str, Any]], targets: list[dict[str, Any]], state: str = "texas"
) -> tuple[dict[str, TaskInfo], TasksOverlay]:
    ecs = TasksOverlay(clients.ecs, tasks)
    clients._cache["ecs"] = ecs
    clients._cache["elbv2"] = TargetsOverlay(clients.elbv2, targets)
    result = stack_status(clients, names_for(state))
    return {t.id: t for t in result.tasks}, ecs


def test_a_task_is_healthy_only_when_the_target_with_its_ip_is_healthy(deployed: AwsClients) -> None:
    # Target states: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    tasks = [
        task("t-healthy", "10.0.1.10"),
        task("t-unhealthy", "10.0.2.10", az="us-east-1b"),
        task("t-draining", "10.0.1.11"),
        task("t-initial", "10.0.2.11", az="us-east-1b"),
        task("t-unavailable", "10.0.1.12"),
        task("t-unregistered", "10.0.2.12", az="us-east-1b"),
    ]
    targets = [
        target("10.0.1.10", "healthy"),
        target("10.0.2.10", "unhealthy", "Target.FailedHealthChecks"),
        target("10.0.1.11", "draining", "Target.DeregistrationInProgress"),
        target("10.0.2.11", "initial", "Elb.RegistrationInProgress"),
        target("10.0.1.12", "unavailable", "Target.HealthCheckDisabled"),
        target("10.0.9.99", "healthy"),  # some other IP: healthy, but no task of ours has it
    ]
    found, _ecs = status_with(deployed, tasks, targets)
    assert {task_id: info.healthy for task_id, info in found.items()} == {
        "t-healthy": True,
        "t-unhealthy": False,
        "t-draining": False,
        "t-initial": False,
        "t-unavailable": False,
        "t-unregistered": False,
    }


def test_the_match_is_by_the_whole_ip_and_each_task_gets_its_own_targets_health(deployed: AwsClients) -> None:
    # With target type ip, a target's Id is the task's private IPv4 address:
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetDescription.html
    tasks = [task("t-a", "10.0.1.1"), task("t-b", "10.0.1.10", az="us-east-1b")]
    targets = [
        target("10.0.1.10", "unhealthy"),
        target("10.0.1.100", "healthy"),
        target("10.0.1.1", "healthy"),
    ]
    found, _ecs = status_with(deployed, tasks, targets)
    assert (found["t-a"].healthy, found["t-b"].healthy) == (True, False)


def test_a_task_without_an_ip_is_never_healthy(deployed: AwsClients) -> None:
    # A task still PROVISIONING has no ENI yet, so no IP: another task's healthy target is not its own.
    tasks = [task("t-new", None, status="PROVISIONING"), task("t-old", "10.0.1.10", az="us-east-1b")]
    found, _ecs = status_with(deployed, tasks, [target("10.0.1.10", "healthy")])
    assert found["t-new"] == TaskInfo("t-new", "us-east-1a", "PROVISIONING", False)
    assert found["t-old"].healthy


def test_tasks_carry_their_az_and_last_status_and_only_running_ones_are_listed(deployed: AwsClients) -> None:
    tasks = [task("t-1", "10.0.1.10", az="us-east-1a"), task("t-2", "10.0.2.10", az=None, status="PENDING")]
    targets = [target("10.0.1.10", "healthy"), target("10.0.2.10", "initial")]
    found, ecs = status_with(deployed, tasks, targets)
    assert list(found.values()) == [
        TaskInfo("t-1", "us-east-1a", "RUNNING", True),
        TaskInfo("t-2", "unknown", "PENDING", False),
    ]
    # Stopped tasks stay listed for about an hour; status shows the service's current ones only.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
    assert [c["desiredStatus"] for c in ecs.list_calls] == ["RUNNING"]
    assert {(c["cluster"], c["serviceName"]) for c in ecs.list_calls} == {(CLUSTER, "humangov-texas-service")}


def test_without_a_service_no_task_is_reported(deployed: AwsClients) -> None:
    # utah has no service in the (shared) cluster: its status lists no task, and asks ECS for none.
    found, ecs = status_with(deployed, [task("t-1", "10.0.1.10")], [target("10.0.1.10", "healthy")], "utah")
    assert found == {} and ecs.list_calls == []


def test_status_lists_every_resource_of_the_stack(deployed: AwsClients) -> None:
    targets = [target("10.0.1.10", "healthy"), target("10.0.2.10", "unhealthy", "Target.FailedHealthChecks")]
    clients = deployed
    clients._cache["elbv2"] = TargetsOverlay(clients.elbv2, targets)
    result = stack_status(clients, names_for("texas"), platform="aws-test")
    assert (result.state, result.platform, result.region) == ("texas", "aws-test", "us-east-1")
    assert result.table == "humangov-texas-dynamodb"
    assert result.bucket is not None and result.bucket.startswith("humangov-texas-s3-")
    resources = result.resources
    assert set(resources) == {
        "cluster",
        "load_balancer",
        "target_group",
        "service",
        "lb_security_group",
        "task_security_group",
        "task_role",
        "execution_role",
        "log_group",
        "secret_parameter",
        "task_definition",
    }
    lb = resources["load_balancer"]
    assert result.url == f"http://{clients.elbv2.describe_load_balancers()['LoadBalancers'][0]['DNSName']}"
    assert (
        lb["state"] == "active"
        and len(lb["azs"]) >= 2
        and lb["arn"].startswith("arn:aws:elasticloadbalancing:")
    )
    assert resources["target_group"]["targets"] == [
        "10.0.1.10:80 healthy",
        "10.0.2.10:80 unhealthy (Target.FailedHealthChecks: Target.FailedHealthChecks)",
    ]
    service = resources["service"]
    assert (service["status"], service["desired"], service["running"]) == ("ACTIVE", 2, 2)
    assert service["task_definition"] == resources["task_definition"]
    assert service["task_definition"].endswith(":task-definition/humangov-texas-fullstack:1")
    assert [set(d) for d in service["deployments"]] == [{"id", "status", "rollout", "task_definition"}]
    assert service["deployments"][0]["status"] == "PRIMARY"
    assert resources["cluster"].endswith(f":cluster/{CLUSTER}")
    assert resources["task_role"].endswith("/humangov-texas-task-role")
    assert resources["execution_role"].endswith("/humangov-texas-execution-role")
    assert resources["lb_security_group"].startswith("sg-") and resources["task_security_group"].startswith(
        "sg-"
    )
    assert resources["lb_security_group"] != resources["task_security_group"]
    assert resources["log_group"] == "/ecs/humangov-texas"
    assert resources["secret_parameter"] == "/humangov/texas/secret-key"


def test_the_shared_cluster_alone_is_not_a_states_stack(deployed: AwsClients) -> None:
    other = stack_status(deployed, names_for("utah"))
    assert (other.resources, other.tasks, other.url, other.table, other.bucket) == ({}, [], None, None, None)
    assert not other.exists
    assert stack_status(deployed, names_for("texas")).exists
