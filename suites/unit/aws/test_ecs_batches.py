"""ECS calls that take a bounded list are made in batches within AWS's limit, and the batches cover it all.

Limits, from the API reference:
- DeleteTaskDefinitions: up to 10 task definitions
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskDefinitions.html);
- DescribeServices: up to 10 services
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html);
- DescribeTasks: up to 100 tasks (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
botocore checks no list's maximum length and moto accepts any, so botocore's Stubber pins every call here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from humangov_deploy.aws import ecs
from humangov_deploy.clients import AwsClients

CLUSTER = "humangov-cluster"
PREFIX = "arn:aws:ecs:us-east-1:123456789012"


@pytest.fixture
def stubbed() -> Iterator[tuple[AwsClients, Stubber, list[tuple[str, int]]]]:
    clients = AwsClients(region="us-east-1")
    sizes: list[tuple[str, int]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        for key in ("taskDefinitions", "services", "tasks"):
            if key in params:
                sizes.append((model.name, len(params[key])))

    clients.ecs.meta.events.register("provide-client-params.ecs.*", record)
    with Stubber(clients.ecs) as stubber:
        yield clients, stubber, sizes


def split(items: list[str], sizes: list[int]) -> list[list[str]]:
    assert sum(sizes) == len(items)
    batches, start = [], 0
    for size in sizes:
        batches.append(items[start : start + size])
        start += size
    return batches


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [1]), (10, [10]), (11, [10, 1]), (25, [10, 10, 5])], ids=str
)
def test_task_definitions_are_deleted_ten_at_a_time(
    stubbed: tuple[AwsClients, Stubber, list[tuple[str, int]]], count: int, sizes: list[int]
) -> None:
    clients, stubber, seen = stubbed
    arns = [f"{PREFIX}:task-definition/humangov-texas-fullstack:{n}" for n in range(1, count + 1)]
    for batch in split(arns, sizes):
        gone = [{"taskDefinitionArn": a, "status": "DELETE_IN_PROGRESS"} for a in batch]
        stubber.add_response(
            "delete_task_definitions", {"taskDefinitions": gone, "failures": []}, {"taskDefinitions": batch}
        )
    ecs.delete_task_definitions(clients, arns)
    stubber.assert_no_pending_responses()
    assert seen == [("DeleteTaskDefinitions", n) for n in sizes]


def test_no_task_definition_means_no_call(stubbed: tuple[AwsClients, Stubber, list[tuple[str, int]]]) -> None:
    clients, _stubber, seen = stubbed
    ecs.delete_task_definitions(clients, [])
    assert seen == []


def test_active_services_are_described_ten_at_a_time(
    stubbed: tuple[AwsClients, Stubber, list[tuple[str, int]]],
) -> None:
    clients, stubber, seen = stubbed
    names = [f"humangov-state{n:02d}-service" for n in range(23)]
    arns = [f"{PREFIX}:service/{CLUSTER}/{name}" for name in names]
    # ListServices pages (AWS returns at most 10 per page by default); the wrapper must follow nextToken.
    stubber.add_response("list_services", {"serviceArns": arns[:10], "nextToken": "t1"}, {"cluster": CLUSTER})
    stubber.add_response("list_services", {"serviceArns": arns[10:]}, {"cluster": CLUSTER, "nextToken": "t1"})
    inactive = {names[4], names[17]}  # deleted services stay visible as INACTIVE for a while
    for batch in split(names, [10, 10, 3]):
        services = [
            {
                "serviceArn": f"{PREFIX}:service/{CLUSTER}/{n}",
                "serviceName": n,
                "status": "INACTIVE" if n in inactive else "ACTIVE",
            }
            for n in batch
        ]
        stubber.add_response(
            "describe_services",
            {"services": services, "failures": []},
            {"cluster": CLUSTER, "services": batch, "include": ["TAGS"]},
        )
    active = ecs.active_service_names(clients, CLUSTER)
    stubber.assert_no_pending_responses()
    assert active == [n for n in names if n not in inactive]
    assert seen == [("DescribeServices", 10), ("DescribeServices", 10), ("DescribeServices", 3)]


def test_service_tasks_are_described_a_hundred_at_a_time(
    stubbed: tuple[AwsClients, Stubber, list[tuple[str, int]]],
) -> None:
    clients, stubber, seen = stubbed
    arns = [f"{PREFIX}:task/{CLUSTER}/{n:032x}" for n in range(250)]
    listing = {"cluster": CLUSTER, "serviceName": "humangov-texas-service", "desiredStatus": "STOPPED"}
    stubber.add_response("list_tasks", {"taskArns": arns[:100], "nextToken": "t1"}, listing)
    stubber.add_response("list_tasks", {"taskArns": arns[100:]}, {**listing, "nextToken": "t1"})
    for batch in split(arns, [100, 100, 50]):
        tasks = [{"taskArn": a, "lastStatus": "STOPPED", "desiredStatus": "STOPPED"} for a in batch]
        stubber.add_response(
            "describe_tasks", {"tasks": tasks, "failures": []}, {"cluster": CLUSTER, "tasks": batch}
        )
    found = ecs.service_tasks(clients, CLUSTER, "humangov-texas-service", desired_status="STOPPED")
    stubber.assert_no_pending_responses()
    assert [t.arn for t in found] == arns
    assert seen == [("DescribeTasks", 100), ("DescribeTasks", 100), ("DescribeTasks", 50)]
