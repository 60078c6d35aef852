"""ECS and ELBv2 wrappers: moto for what it models, botocore's Stubber for tasks and target health."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from humangov_deploy.aws import ec2, ecs, elbv2
from humangov_deploy.clients import AwsClients

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/humangov-cluster"
TD = {
    "family": "humangov-new-york-fullstack",
    "containerDefinitions": [{"name": "app", "image": "app:1", "memory": 512}],
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "256",
    "memory": "512",
}


def test_cluster_lifecycle(clients: AwsClients) -> None:
    assert ecs.find_cluster(clients, "humangov-cluster") is None
    made = ecs.create_fargate_cluster(clients, "humangov-cluster", tags={"humangov:state": "shared"})
    assert made.tags == {"humangov:state": "shared"} and made.status == "ACTIVE"
    assert ecs.active_service_names(clients, "humangov-cluster") == []
    ecs.delete_cluster(clients, "humangov-cluster")
    assert ecs.find_cluster(clients, "humangov-cluster") is None  # INACTIVE counts as gone
    ecs.delete_cluster(clients, "humangov-cluster")


def test_task_definitions_by_exact_family(clients: AwsClients) -> None:
    assert ecs.latest_task_definition(clients, TD["family"]) is None
    first = ecs.register_task_definition(clients, TD, {"humangov:spec": "one"})
    second = ecs.register_task_definition(clients, TD, {"humangov:spec": "two"})
    ecs.register_task_definition(clients, {**TD, "family": "humangov-new-york-fullstack-extra"}, {})
    latest = ecs.latest_task_definition(clients, TD["family"])
    assert latest is not None and (latest.arn, latest.revision, latest.tags) == (
        second,
        2,
        {"humangov:spec": "two"},
    )
    assert ecs.task_definition_arns(clients, TD["family"], "ACTIVE") == [first, second]
    for arn in (first, second):
        ecs.deregister_task_definition(clients, arn)
    assert ecs.latest_task_definition(clients, TD["family"]) is None
    ecs.delete_task_definitions(clients, ecs.task_definition_arns(clients, TD["family"], "INACTIVE"))
    assert ecs.task_definition_arns(clients, TD["family"], "INACTIVE") == []


@pytest.fixture
def stubbed_ecs() -> Iterator[tuple[AwsClients, Stubber]]:
    clients = AwsClients(region="us-east-1")
    with Stubber(clients.ecs) as stubber:
        yield clients, stubber


def test_tasks_carry_az_ip_and_why_they_stopped(stubbed_ecs: tuple[AwsClients, Stubber]) -> None:
    clients, stubber = stubbed_ecs
    arn = f"{CLUSTER_ARN.replace(':cluster/', ':task/')}/abc123"
    stubber.add_response(
        "list_tasks",
        {"taskArns": [arn]},
        {"cluster": "humangov-cluster", "serviceName": "svc", "desiredStatus": "STOPPED"},
    )
    task = {
        "taskArn": arn,
        "taskDefinitionArn": "arn:td:2",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "availabilityZone": "us-east-1b",
        "startedBy": "ecs-svc/1",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "details": [{"name": "privateIPv4Address", "value": "10.0.1.5"}],
            }
        ],
        "containers": [{"name": "app", "exitCode": 3, "reason": "boom"}, {"name": "nginx", "exitCode": 0}],
    }
    stubber.add_response("describe_tasks", {"tasks": [task]}, {"cluster": "humangov-cluster", "tasks": [arn]})
    (got,) = ecs.service_tasks(clients, "humangov-cluster", "svc", desired_status="STOPPED")
    assert (got.id, got.az, got.private_ip, got.started_by) == (
        "abc123",
        "us-east-1b",
        "10.0.1.5",
        "ecs-svc/1",
    )
    assert (
        got.why_stopped()
        == "EssentialContainerExited; Essential container in task exited; app: boom (exit 3)"
    )


def test_deployments_are_typed(stubbed_ecs: tuple[AwsClients, Stubber]) -> None:
    clients, stubber = stubbed_ecs
    service = {
        "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/humangov-cluster/svc",
        "serviceName": "svc",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 1,
        "pendingCount": 1,
        "taskDefinition": "arn:td:2",
        "deployments": [
            {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": "arn:td:2", "desiredCount": 2,
             "runningCount": 1, "pendingCount": 1, "failedTasks": 1, "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": "r"},
            {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": "arn:td:1", "desiredCount": 0,
             "runningCount": 2, "pendingCount": 0},
        ],
        "events": [{"message": "newest"}, {"message": "older"}],
        "tags": [{"key": "humangov:spec", "value": "abc"}],
    }  # fmt: skip
    stubber.add_response("describe_services", {"services": [service], "failures": []})
    got = ecs.find_service(clients, "humangov-cluster", "svc")
    assert got is not None and got.primary is not None
    assert (got.primary.id, got.primary.failed_tasks, got.primary.rollout_state) == (
        "ecs-svc/2",
        1,
        "IN_PROGRESS",
    )
    assert got.deployments[1].rollout_state is None
    assert got.events[0] == "newest" and got.tags == {"humangov:spec": "abc"}


def test_listener_is_created_then_repointed(clients: AwsClients) -> None:
    vpc = ec2.default_vpc(clients)
    subnets = [s.id for s in ec2.default_subnets(clients, vpc)]
    sg = ec2.ensure_security_group(clients, "lb", vpc_id=vpc, description="lb", tags={})
    lb = elbv2.create_load_balancer(
        clients, "humangov-texas-lb", subnets=subnets, security_groups=[sg.id], tags={}
    )
    check = {"HealthCheckPath": "/healthz", "HealthCheckIntervalSeconds": 5}
    tg1 = elbv2.create_target_group(clients, "tg-1", vpc_id=vpc, port=80, health_check=check, tags={})
    tg2 = elbv2.create_target_group(clients, "tg-2", vpc_id=vpc, port=80, health_check=check, tags={})
    first = elbv2.ensure_http_listener(clients, lb.arn, tg1.arn, port=80, tags={"k": "v"})
    again = elbv2.ensure_http_listener(clients, lb.arn, tg2.arn, port=80, tags={})
    assert first.arn == again.arn
    (listener,) = elbv2.listeners(clients, lb.arn)
    assert listener.target_group_arns == (tg2.arn,)
    assert elbv2.find_load_balancer(clients, "missing-lb") is None
    assert elbv2.find_target_group(clients, "missing-tg") is None
    elbv2.delete_load_balancer(clients, lb.arn)
    elbv2.delete_load_balancer(clients, lb.arn)
    assert elbv2.find_load_balancer(clients, "humangov-texas-lb") is None


def test_target_health_is_typed() -> None:
    clients = AwsClients(region="us-east-1")
    with Stubber(clients.elbv2) as stubber:
        stubber.add_response(
            "describe_target_health",
            {
                "TargetHealthDescriptions": [
                    {"Target": {"Id": "10.0.1.5", "Port": 80, "AvailabilityZone": "us-east-1a"},
                     "TargetHealth": {"State": "unhealthy", "Reason": "Target.FailedHealthChecks",
                                      "Description": "Health checks failed"}},
                    {"Target": {"Id": "10.0.2.5", "Port": 80}, "TargetHealth": {"State": "healthy"}},
                ]
            },
            {"TargetGroupArn": "arn:tg"},
        )  # fmt: skip
        sick, well = elbv2.target_health(clients, "arn:tg")
    assert (sick.state, sick.az, sick.reason) == ("unhealthy", "us-east-1a", "Target.FailedHealthChecks")
    assert str(sick) == "10.0.1.5:80 unhealthy (Target.FailedHealthChecks: Health checks failed)"
    assert str(well) == "10.0.2.5:80 healthy"
