"""AWS `status`, pinned where `tox -e mutants` found it loose: the platform it names by default, the ARNs it
lists, and no ECS service lookup in a cluster that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from aws_testkit import REGION, deployed_stack_session, record_calls
from moto import mock_aws

from humangov_deploy.clients import AwsClients
from humangov_deploy.naming import names_for
from humangov_deploy.platforms.aws.status import stack_status


@pytest.fixture(scope="module")
def _texas() -> Iterator[boto3.session.Session]:
    with deployed_stack_session("texas") as session:
        yield session


def test_the_arns_of_the_target_group_and_the_service_are_listed(_texas: boto3.session.Session) -> None:
    clients = AwsClients(region=REGION, session=_texas)

    result = stack_status(clients, names_for("texas"))

    assert result.platform == "aws"  # the default: `status` without a platform name is the aws one
    (group,) = clients.elbv2.describe_target_groups(Names=["humangov-texas-tg"])["TargetGroups"]
    assert result.resources["target_group"]["arn"] == group["TargetGroupArn"]
    (service,) = clients.ecs.describe_services(
        cluster="humangov-cluster", services=["humangov-texas-service"]
    )["services"]
    assert result.resources["service"]["arn"] == service["serviceArn"]


def test_without_a_cluster_no_service_is_looked_up() -> None:
    # Another region than the module's stack: moto's backends are shared by every mock in the process.
    with mock_aws():
        region = "eu-west-3"
        clients = AwsClients(region=region, session=boto3.session.Session(region_name=region))
        calls = record_calls(clients)

        result = stack_status(clients, names_for("texas"))

    assert (result.platform, result.region) == ("aws", "eu-west-3")
    assert "cluster" not in result.resources and "service" not in result.resources and result.tasks == []
    operations = [operation for _service, operation, _params in calls]
    assert "DescribeClusters" in operations
    assert "DescribeServices" not in operations and "ListTasks" not in operations
